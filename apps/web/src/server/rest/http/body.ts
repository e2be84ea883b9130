import { DomainError, invalidDetail } from "@exports/core";

export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** Reads a JSON object body: wrong content type → 415, too large → 413, bad JSON → 400, all as JSON. */
export async function readJsonObject(
  req: Request,
  maxBytes = MAX_JSON_BODY_BYTES,
): Promise<Record<string, unknown>> {
  const type = mediaType(req);
  if (type !== "application/json") {
    throw new DomainError("UNSUPPORTED_MEDIA_TYPE", `Unsupported media type "${type || "none"}" in request.`);
  }
  const text = new TextDecoder("utf-8", { fatal: false }).decode(await readLimited(req, maxBytes));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidDetail(`JSON parse error - ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "list" : typeof value;
    throw new DomainError("INVALID", "Invalid data.", {
      non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`],
    });
  }
  return value as Record<string, unknown>;
}

/** The request's media type, lower-cased, without parameters ("" when absent). */
export function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function tooLarge(maxBytes: number): DomainError {
  return new DomainError("PAYLOAD_TOO_LARGE", `Request body is larger than ${maxBytes} bytes.`);
}

/** Reads the whole body, at most `maxBytes` (413 at once for a declared length, else when the stream passes it). */
export async function readLimited(req: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return Buffer.alloc(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
