// Slack signs each HTTP request: v0=HMAC-SHA256 of "v0:<timestamp>:<body>" with the app's signing secret. Bolt's
// receiver checks the signature and refuses a timestamp more than 5 minutes old by the machine's clock, but lets one
// from the future through, and the same signed request again and again within the window. Relay checks here, in
// front of the receiver, with the office clock and both sides of the window, and names each request by its
// signature so the inbox can give a replayed command or button press no effect.
import type { IncomingHttpHeaders } from "node:http";
import { verifySlackRequest } from "@slack/bolt";

/** How far a request's timestamp may be from the clock, either way: Slack's advice, and Bolt's limit for the past. */
export const SIGNATURE_WINDOW_S = 5 * 60;

export type Verdict = { ok: true } | { ok: false; reason: string };

/** The signature headers as Bolt's check reads them: the timestamp as a number, the hash after "v0=". */
function signedParts(headers: IncomingHttpHeaders): { signature: string; timestamp: number; hash?: string } | undefined {
  const signature = headers["x-slack-signature"];
  const stamp = headers["x-slack-request-timestamp"];
  if (typeof signature !== "string" || typeof stamp !== "string") return undefined;
  return { signature, timestamp: Number(stamp), hash: signature.split("=")[1] };
}

/** Whether `body` with `headers` is signed with `secret` and stamped within the window around `nowMs`. */
export function verifySigned(headers: IncomingHttpHeaders, body: string, secret: string, nowMs: number): Verdict {
  const parts = signedParts(headers);
  if (!parts) return { ok: false, reason: "no signature headers" };
  const { signature, timestamp } = parts;
  try {
    // Bolt's own check (signature, and no older than the window), asked with our clock rather than Date.now().
    verifySlackRequest({ signingSecret: secret, body, headers: { "x-slack-signature": signature, "x-slack-request-timestamp": timestamp }, nowMilliseconds: nowMs });
  } catch (error) {
    return { ok: false, reason: (error as Error).message }; // Bolt's reasons name no secret
  }
  if (timestamp > Math.floor(nowMs / 1000) + SIGNATURE_WINDOW_S) return { ok: false, reason: `timestamp ${timestamp} is more than ${SIGNATURE_WINDOW_S} s ahead of the clock` };
  return { ok: true };
}

/**
 * The id of one signed request: Slack never sends a slash command or an interaction twice (each has its own
 * trigger_id), so the same signature and timestamp again is a replay. Taken from what the check read, not the
 * headers' spelling: "0170…" or "v0=…=" verify as the original does, and must not pass as a new request.
 */
export function signedRequestId(headers: IncomingHttpHeaders): string | undefined {
  const parts = signedParts(headers);
  return parts?.hash ? `sig-${parts.timestamp}-${parts.hash}` : undefined;
}

/** Slack's ssl_check, sent unsigned when the Request URL is saved: answered 200 and nothing else. */
export function isSslCheck(headers: IncomingHttpHeaders, body: string): boolean {
  return headers["content-type"] === "application/x-www-form-urlencoded" && new URLSearchParams(body).get("ssl_check") === "1";
}
