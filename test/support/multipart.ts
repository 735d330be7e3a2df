// multipart/form-data as the fakes receive it (RFC 7578): what grammY sends for sendDocument and what a client may
// post to Slack's upload URL. Byte-exact, so a test can compare an uploaded file with what Relay meant to send.

export interface FormFile {
  filename: string;
  contentType?: string;
  data: Buffer;
}

export interface FormData {
  fields: Record<string, string>;
  files: Record<string, FormFile>;
}

/** The boundary of a multipart Content-Type, or undefined for anything else. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!/^multipart\/form-data\s*;/i.test(contentType ?? "")) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType!);
  return m?.[1] ?? m?.[2];
}

/**
 * Splits a multipart body into text fields and files (a part with a filename). Throws on a body that is not
 * well formed: no opening delimiter, no closing one, a part without a name.
 */
export function parseMultipart(body: Buffer, boundary: string): FormData {
  const delimiter = Buffer.from(`--${boundary}`);
  const out: FormData = { fields: {}, files: {} };
  let at = body.indexOf(delimiter);
  if (at < 0) throw new Error("no multipart delimiter");
  for (;;) {
    let start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === "--") return out; // the closing delimiter
    if (body.subarray(start, start + 2).toString() === "\r\n") start += 2;
    // A delimiter inside the content is always preceded by CRLF; the part ends right before that CRLF.
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), start);
    if (next < 0) throw new Error("multipart body ends without its closing delimiter");
    const part = body.subarray(start, next);
    const split = part.indexOf("\r\n\r\n");
    if (split < 0) throw new Error("multipart part without a blank line after its headers");
    const headers = parseHeaders(part.subarray(0, split).toString("utf8"));
    const data = part.subarray(split + 4);
    const disposition = headers["content-disposition"] ?? "";
    const name = param(disposition, "name");
    if (name === undefined) throw new Error("multipart part without a name");
    const filename = param(disposition, "filename");
    if (filename !== undefined) out.files[name] = { filename, contentType: headers["content-type"], data: Buffer.from(data) };
    else out.fields[name] = data.toString("utf8");
    at = next + 2;
  }
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** A parameter of Content-Disposition, quoted (`name="x"`) or not (`filename=x.csv`, as grammY writes it). */
function param(disposition: string, key: string): string | undefined {
  const m = new RegExp(`(?:^|;)\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, "i").exec(disposition);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!.trim();
}
