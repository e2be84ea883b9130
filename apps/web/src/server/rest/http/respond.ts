import { asDomainError, DomainError, ERROR_TABLE, UNAVAILABLE_RETRY_AFTER } from "@exports/core";
import { etagOfText, ifNoneMatchMatches, notModified } from "./conditional";
import { StringResponse } from "./string-response";

export function json(body: unknown, status = 200, headers: HeadersInit = {}): StringResponse {
  return jsonText(JSON.stringify(body), status, headers);
}

/** A JSON answer of text already serialised (by PostgreSQL: core's record-reads). */
export function jsonText(text: string, status = 200, headers: HeadersInit = {}): StringResponse {
  const res = new StringResponse(text, { status, headers });
  res.setHeader("Content-Type", "application/json");
  // A known length: no chunked encoding, and a client can tell a cut-off answer.
  res.setHeader("Content-Length", String(Buffer.byteLength(text)));
  return res;
}

/**
 * A 200 JSON answer with a strong ETag of its exact bytes (whatever `modified_date` says), or 304 when
 * `If-None-Match` names them (issue 12 §5). `private, no-cache`: a browser keeps it but asks again first.
 */
export function jsonWithEtag(req: Request, body: unknown, headers: Record<string, string> = {}): Response {
  return jsonTextWithEtag(req, JSON.stringify(body), headers);
}

/** jsonWithEtag of text already serialised. */
export function jsonTextWithEtag(req: Request, text: string, headers: Record<string, string> = {}): Response {
  const res = jsonText(text, 200, headers);
  const etag = etagOfText(res.bodyText);
  const validators = { ETag: etag, "Cache-Control": "private, no-cache" };
  const ifNoneMatch = req.headers.get("if-none-match");
  if (ifNoneMatch !== null && ifNoneMatchMatches(ifNoneMatch, etag)) return notModified(validators);
  for (const [name, value] of Object.entries(validators)) res.setHeader(name, value);
  return res;
}

/**
 * The `Retry-After` of an error (the one rule for REST and tRPC): the error's own (core sets it on a 429 and on
 * every 503), else a 503 raised by a door waits as long as core's.
 */
export function retryAfterOf(error: DomainError): number | undefined {
  return error.retryAfter ?? (error.code === "UNAVAILABLE" ? UNAVAILABLE_RETRY_AFTER : undefined);
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
  const retryAfter = retryAfterOf(domain);
  if (retryAfter !== undefined) headers["Retry-After"] = String(retryAfter);
  return json(domain.body(), ERROR_TABLE[domain.code].http, headers);
}

/** 405 with a JSON body and `Allow` (the methods the path serves). */
export function methodNotAllowed(method: string, allow: string): Response {
  const res = errorResponse(new DomainError("METHOD_NOT_ALLOWED", `Method "${method}" not allowed.`));
  res.headers.set("Allow", allow);
  return res;
}
