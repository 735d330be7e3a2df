// How a leave request reads in a message: its type, its period in working days, its reason.
import { t, type Locale, type MessageKey } from "../../bot/i18n/index.ts";
import type { Request } from "../../generated/prisma/client.ts";
import { describePeriod, type LeavePeriod } from "./leave-period.ts";

/** What a leave request's `form` holds. */
export interface LeaveForm {
  type: string;
  period: Pick<LeavePeriod, "start" | "end" | "workingDays">;
}

/** A leave type's name in `locale`. */
export function typeLabel(type: string | null, locale: Locale): string {
  return t(locale, `leave.type.${type ?? "other"}` as MessageKey);
}

/** "事假 12月3日(周四)上午 至 12月4日(周五)下午，共 2 个工作日；事由：家里有事". */
export function leaveSummary(r: Pick<Request, "form" | "reason" | "leaveType">, locale: Locale): string {
  const form = r.form as unknown as LeaveForm;
  return t(locale, "leave.summaryLine", { type: typeLabel(form.type, locale), period: describePeriod(form.period as LeavePeriod, locale), reason: r.reason });
}
