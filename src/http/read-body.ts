// Reading a request body with a ceiling, so one oversized POST cannot exhaust memory.
import type { IncomingMessage } from "node:http";

export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
}

/** The request body as text; rejects with BodyTooLargeError past `limitBytes`. */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (declared > limitBytes) throw new BodyTooLargeError(`body of ${declared} bytes is over ${limitBytes}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new BodyTooLargeError(`body is over ${limitBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
