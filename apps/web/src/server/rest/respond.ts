import { asDomainError, DomainError, ERROR_TABLE } from "@exports/core";
import { etagOfText, ifNoneMatchMatches, notModified } from "../http/conditional";
import { StringResponse } from "../http/string-response";

export function json(body: unknown, status = 200, headers: HeadersInit = {}): StringResponse {
  const text = JSON.stringify(body);
  const h = new Headers(headers);
  h.set("Content-Type", "application/json");
  // A known length: no chunked encoding, and a client can tell a cut-off answer.
  h.set("Content-Length", String(Buffer.byteLength(text)));
  return new StringResponse(text, { status, headers: h });
}

/**
 * A 200 JSON answer with a strong ETag of its exact bytes, or 304 when the request's `If-None-Match` already
 * names them (issue 12 §5). The tag is a hash of the body itself, so it changes whenever any byte does (a
 * moving `collected_count` included), whatever `modified_date` says. `private, no-cache`: a browser may keep
 * the answer but must ask again (cheaply, with the tag) before using it; no shared cache keeps it.
 */
export function jsonWithEtag(req: Request, body: unknown, headers: Record<string, string> = {}): Response {
  const res = json(body, 200, headers);
  const etag = etagOfText(res.bodyText);
  const validators = { ETag: etag, "Cache-Control": "private, no-cache" };
  const ifNoneMatch = req.headers.get("if-none-match");
  if (ifNoneMatch !== null && ifNoneMatchMatches(ifNoneMatch, etag)) return notModified(validators);
  for (const [name, value] of Object.entries(validators)) res.headers.set(name, value);
  return res;
}

/** One mapping of every error to a JSON response (SPEC §2.10): never HTML, never a stack trace. */
export function errorResponse(err: unknown): Response {
  const domain = asDomainError(err);
  if (!domain) {
    console.error("[rest] unexpected error", err);
    return json({ detail: "A server error occurred." }, 500);
  }
  const headers: Record<string, string> = {};
  if (domain.code === "UNAUTHENTICATED") headers["WWW-Authenticate"] = "Token";
  if (domain.retryAfter !== undefined) headers["Retry-After"] = String(domain.retryAfter);
  else if (domain.code === "UNAVAILABLE") headers["Retry-After"] = "5";
  return json(domain.body(), ERROR_TABLE[domain.code].http, headers);
}

/** 405 with a JSON body and `Allow` (the methods the path serves). */
export function methodNotAllowed(method: string, allow: readonly string[]): Response {
  const res = errorResponse(new DomainError("METHOD_NOT_ALLOWED", `Method "${method}" not allowed.`));
  res.headers.set("Allow", allow.join(", "));
  return res;
}
