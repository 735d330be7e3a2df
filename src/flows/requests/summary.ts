// One line describing a request of any kind, for /requests, the approver's prompt and the decision
// messages: each kind keeps its own wording, this only picks the right one.
import type { Locale } from "../../bot/i18n/index.ts";
import type { Request } from "../../generated/prisma/client.ts";
import { leaveSummary } from "./leave-summary.ts";
import { sealSummary } from "./seal.ts";

/** The summary line of `r` in `locale`: its kind's own, or for a generic request the reason it gives. */
export function requestSummary(r: Pick<Request, "kind" | "form" | "reason" | "leaveType">, locale: Locale): string {
  switch (r.kind) {
    case "leave":
      return leaveSummary(r, locale);
    case "seal":
      return sealSummary(r, locale);
    case "generic":
      return r.reason;
  }
}
