import { asDomainError, DomainError, ERROR_TABLE } from "@exports/core";
import { StringResponse } from "../http/string-response";

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const text = JSON.stringify(body);
  const h = new Headers(headers);
  h.set("Content-Type", "application/json");
  // A known length: no chunked encoding, and a client can tell a cut-off answer.
  h.set("Content-Length", String(Buffer.byteLength(text)));
  return new StringResponse(text, { status, headers: h });
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
