import { notFound } from "@exports/core";
import { API_ROUTES } from "../api/routes";
import { errorResponse, methodNotAllowed } from "../rest/respond";
import { corsEnabled, corsHeaders } from "./cors";
import { type Endpoint, METHODS, type Method } from "./route";
import { API_SECURITY_HEADERS } from "./security-headers";

/**
 * `Allow` of an endpoint: its methods in a fixed order, HEAD right after GET (the dispatcher answers HEAD of
 * every GET), then OPTIONS.
 */
export function allowOf(endpoint: Endpoint): string[] {
  return [
    ...METHODS.flatMap((m) => (endpoint[m] === undefined ? [] : m === "GET" ? ["GET", "HEAD"] : [m])),
    "OPTIONS",
  ];
}

const isMethod = (method: string): method is Method => (METHODS as readonly string[]).includes(method);

function findRoute(pathname: string) {
  for (const r of API_ROUTES) {
    const params = r.match(pathname);
    if (params) return { r, params };
  }
  return null;
}

async function route(req: Request): Promise<Response> {
  const found = findRoute(new URL(req.url).pathname);
  // Any other /api path: a JSON 404, whatever the method.
  if (!found) return errorResponse(notFound());
  const { r, params } = found;
  const allow = allowOf(r.endpoint);
  const method = req.method.toUpperCase();
  // Also a CORS preflight's answer (its Access-Control-* headers are added by dispatchApi).
  if (method === "OPTIONS") return new Response(null, { status: 204, headers: { Allow: allow.join(", ") } });
  // HEAD is GET without its body (the headers, Content-Length included, are GET's).
  const handler = method === "HEAD" ? r.endpoint.GET : isMethod(method) ? r.endpoint[method] : undefined;
  if (!handler) return methodNotAllowed(method, allow);
  const res = await handler(req, params);
  if (method !== "HEAD") return res;
  await res.body?.cancel();
  return new Response(null, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** The CORS headers of an answer (none for tRPC, which is same-origin only). */
function corsOf(req: Request): [string, string][] {
  if (!corsEnabled()) return [];
  const found = findRoute(new URL(req.url).pathname);
  if (found && !found.r.crossOrigin) return [];
  return corsHeaders(req, found ? allowOf(found.r.endpoint) : null);
}

/**
 * The API door: every /api request, as a fetch `Request`, to its endpoint. Answers always carry the API's
 * security headers (and, on REST paths, CORS headers for the listed origins); an error that escapes a handler
 * is still a JSON answer, never a stack trace.
 */
export async function dispatchApi(req: Request): Promise<Response> {
  let res: Response;
  try {
    res = await route(req);
  } catch (err) {
    res = errorResponse(err);
  }
  return withHeaders(res, corsOf(req));
}

/**
 * The answer to a request that cannot even become a fetch Request (fetch refuses the methods CONNECT, TRACE
 * and TRACK): 405 on a known path, else 404 — JSON, like every API answer.
 */
export function rejectUnservable(method: string, pathname: string): Response {
  const found = findRoute(pathname);
  const res = found ? methodNotAllowed(method, allowOf(found.r.endpoint)) : errorResponse(notFound());
  return withHeaders(res);
}

/** The API's security headers (set over whatever the handler set), then `extra` (Vary is appended to). */
function withHeaders(answer: Response, extra: readonly [string, string][] = []): Response {
  const apply = (res: Response) => {
    for (const { key, value } of API_SECURITY_HEADERS) res.headers.set(key, value);
    for (const [key, value] of extra) {
      if (key === "Vary") res.headers.append(key, value);
      else res.headers.set(key, value);
    }
  };
  try {
    apply(answer);
    return answer;
  } catch {
    // Immutable headers (a Response.redirect/error): copy the answer, then set them.
    const res = new Response(answer.body, answer);
    apply(res);
    return res;
  }
}
