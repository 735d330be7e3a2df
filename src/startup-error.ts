// A problem the operator can fix (bad config, Redis down, data directory in use): `relay` prints its
// message as one line instead of a stack trace.
export class StartupError extends Error {
  override name = "StartupError";
}
