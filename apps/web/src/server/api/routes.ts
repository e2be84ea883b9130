import type { Endpoint, PathParams } from "../http/route";
import { downloadEndpoint } from "./download";
import { exportEndpoint } from "./export";
import { exportsEndpoint } from "./exports";
import { openApiEndpoint } from "./openapi";
import { resourceListEndpoint } from "./resource-list";
import { setCancelEndpoint } from "./set-cancel";
import { trpcEndpoint } from "./trpc";

export interface Route {
  /** The path as the OpenAPI document writes it: `/api/v1/exports/{id}/`. */
  path: string;
  endpoint: Endpoint;
  /** Whether browser pages of the `CORS_ORIGINS` may call it (the REST API; not the dashboard's tRPC). */
  crossOrigin: boolean;
  /** The path's parameters of a request path, decoded, or null when it is not this route's. */
  match(pathname: string): PathParams | null;
}

/** A path segment, percent-decoded; a malformed escape stays as it is (it then matches no record). */
function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * A route of a path template: `{name}` is one path segment; a trailing "/" is optional (SPEC §2.6: the
 * contract's paths end in "/", and both spellings are answered alike, never with a redirect).
 */
function route(path: string, endpoint: Endpoint, { crossOrigin = true } = {}): Route {
  const names: string[] = [];
  const source = path
    .replace(/\/$/, "")
    .split(/(\{\w+\})/)
    .map((part) => {
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(name);
      return "([^/]+)";
    })
    .join("");
  const pattern = new RegExp(`^${source}${path.endsWith("/") ? "/?" : ""}$`);
  return {
    path,
    endpoint,
    crossOrigin,
    match(pathname) {
      const m = pattern.exec(pathname);
      if (!m) return null;
      return Object.fromEntries(names.map((name, i) => [name, decode(m[i + 1] ?? "")]));
    },
  };
}

/** Every API path, most specific first. Any other path under /api is a JSON 404 (see ../http/dispatch.ts). */
export const API_ROUTES: readonly Route[] = [
  route("/api/v1/exports/", exportsEndpoint),
  route("/api/v1/exports/{id}/set_cancel/", setCancelEndpoint),
  route("/api/v1/exports/{id}/download/", downloadEndpoint),
  route("/api/v1/exports/{id}/", exportEndpoint),
  route("/api/v1/products/", resourceListEndpoint("products")),
  route("/api/v1/orders/", resourceListEndpoint("orders")),
  route("/api/v1/openapi.json", openApiEndpoint),
  // The dashboard's tRPC API (not part of the REST contract; the adapter reads the procedure from the URL).
  route("/api/trpc/{procedure}", trpcEndpoint, { crossOrigin: false }),
];

/** True for the paths the API door answers (everything else is a page, served by Next.js). */
export function isApiPath(pathname: string): boolean {
  return pathname === "/api" || pathname.startsWith("/api/");
}
