import { notFound } from "@exports/core";
import { API_SECURITY_HEADERS } from "../../security-headers";
import { errorResponse, methodNotAllowed } from "../http/respond";
import { StringResponse } from "../http/string-response";
import { METHODS, type Method, type PathParams, type Route } from "../route";
import { API_ROUTES } from "../routes";
import { corsEnabled, corsHeaders } from "./cors";

/** The paths the API door answers; the rest are pages. */
export function isApiPath(pathname: string): boolean {
  return pathname === "/api" || pathname.startsWith("/api/");
}

const isMethod = (method: string): method is Method => (METHODS as readonly string[]).includes(method);

function findRoute(pathname: string): { route: Route; params: PathParams } | null {
  for (const route of API_ROUTES) {
    const params = route.match(pathname);
    if (params) return { route, params };
  }
  return null;
}

async function serve(req: Request, route: Route, params: PathParams, url: URL): Promise<Response> {
  const method = req.method.toUpperCase();
  // Also a CORS preflight's answer (dispatchApi adds its Access-Control-* headers).
  if (method === "OPTIONS") return new Response(null, { status: 204, headers: { Allow: route.allow } });
  // HEAD is GET without its body (the headers, Content-Length included, are GET's).
  const operation =
    method === "HEAD" ? route.endpoint.GET : isMethod(method) ? route.endpoint[method] : undefined;
  if (!operation) return methodNotAllowed(method, route.allow);
  const res = await operation.handle(req, params, url, operation.access);
  if (method !== "HEAD") return res;
  await res.body?.cancel();
  return new Response(null, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** The CORS headers of an answer: none for tRPC (same-origin only); an unknown path gets `Vary` only. */
function corsOf(req: Request, route: Route | null): [string, string][] {
  if (!corsEnabled() || (route && !route.crossOrigin)) return [];
  return corsHeaders(req, route ? route.allow : null);
}

/**
 * The API door: every /api request to its route. Every answer carries the API's security headers (and CORS
 * headers on REST paths); an escaping error is still JSON, never a stack trace.
 */
export async function dispatchApi(req: Request): Promise<Response> {
  let found: ReturnType<typeof findRoute> = null;
  let res: Response;
  try {
    const url = new URL(req.url);
    found = findRoute(url.pathname);
    // Any other /api path: a JSON 404, whatever the method.
    res = found ? await serve(req, found.route, found.params, url) : errorResponse(notFound());
  } catch (err) {
    res = errorResponse(err);
  }
  return withHeaders(res, corsOf(req, found?.route ?? null));
}

/** A request fetch cannot represent (CONNECT, TRACE, TRACK): a JSON 405 on a known path, else 404. */
export function rejectUnservable(method: string, pathname: string): Response {
  const found = findRoute(pathname);
  return withHeaders(found ? methodNotAllowed(method, found.route.allow) : errorResponse(notFound()));
}

/** The API's security headers (set over whatever the handler set), then `extra` (Vary is appended to). */
function withHeaders(answer: Response, extra: readonly [string, string][] = []): Response {
  if (answer instanceof StringResponse) {
    for (const { key, value } of API_SECURITY_HEADERS) answer.setHeader(key, value);
    for (const [key, value] of extra) {
      if (key === "Vary") answer.appendHeader(key, value);
      else answer.setHeader(key, value);
    }
    return answer;
  }
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
