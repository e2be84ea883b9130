import { asDomainError, DomainError, ERROR_TABLE } from "@exports/core";

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: h });
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

/** Route-file exports for the methods a path does not serve: 405 with a JSON body and `Allow`. */
export function methodsNotAllowed(allowed: string[]) {
  const handler = async (req: Request) => {
    const res = errorResponse(new DomainError("METHOD_NOT_ALLOWED", `Method "${req.method}" not allowed.`));
    res.headers.set("Allow", [...allowed, "OPTIONS"].join(", "));
    return res;
  };
  return { PUT: handler, PATCH: handler, DELETE: handler, POST: handler, GET: handler };
}
