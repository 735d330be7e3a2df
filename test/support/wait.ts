// Tests wait for events (a message, a row, a job), never for time to pass. A wait still needs a bound so a test
// that goes wrong fails instead of hanging; that bound is a safety net, far beyond what a busy machine takes
// (the suite must pass while every core is busy with something else), never an expectation about speed.
export const SAFETY_NET_MS = 60_000;

/** Resolves once `check` holds (asked every `pollMs`); fails naming `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what = "the condition", timeoutMs = SAFETY_NET_MS, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
