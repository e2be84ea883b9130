import type { Access } from "@exports/core";

/** The methods a route can serve (the router answers HEAD and OPTIONS itself). */
export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type Method = (typeof METHODS)[number];

/** Path parameters, decoded (`{ id }` of `/api/v1/exports/{id}/`). */
export type PathParams = Readonly<Record<string, string>>;

/**
 * What an operation needs of its caller (issue 18): core's Access (a key's scope, every scope, or a session),
 * checked by the door (http/handler.ts) before the handler runs; `public`: no authentication (the OpenAPI
 * document); `procedures`: a mount of another door whose procedures declare their own (tRPC: trpc/init.ts).
 */
export type RouteAccess = Access | "public" | "procedures";

/**
 * A fetch-style handler; `url` is the request's, parsed once by the router; `access` the operation's declared
 * need, passed by the router so that the route table is the one place it is declared.
 */
export type Handler = (req: Request, params: PathParams, url: URL, access: RouteAccess) => Promise<Response>;

/** A JSON object of the OpenAPI document (an operation, a schema…). */
export type Json = Record<string, unknown>;

export type ComponentKind = "securitySchemes" | "parameters" | "schemas" | "responses" | "headers";
export type Components = Partial<Record<ComponentKind, Json>>;

/** One method of a route: its handler and, next to it, its OpenAPI description. */
export interface Operation {
  handle: Handler;
  /** Required: a route without it does not compile, and test/scopes.test.ts walks every one. */
  access: RouteAccess;
  /**
   * `paths[path][method]` of the document, from the schemas and registry entries the handler uses (built
   * once, with the document). None: not documented (the tRPC mount).
   */
  openapi?: () => Json;
  /** Components only this operation uses. */
  components?: () => Components;
}

/** The methods a path serves; any other is a 405 with `Allow`. */
export type Endpoint = Partial<Record<Method, Operation>>;

export interface Route {
  /** The path as the OpenAPI document writes it: `/api/v1/exports/{id}/`. */
  path: string;
  endpoint: Endpoint;
  /** Whether pages of the `CORS_ORIGINS` may call it (REST, not the dashboard's tRPC). */
  crossOrigin: boolean;
  /** `Allow`: the methods in a fixed order, HEAD right after GET (answered for every GET), then OPTIONS. */
  allow: string;
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

function allowOf(endpoint: Endpoint): string {
  const methods = METHODS.flatMap((m) =>
    endpoint[m] === undefined ? [] : m === "GET" ? ["GET", "HEAD"] : [m],
  );
  return [...methods, "OPTIONS"].join(", ");
}

/**
 * A route of a path template: `{name}` is one path segment; a trailing "/" is optional (SPEC §2.6: both
 * spellings are answered alike, never with a redirect).
 */
export function route(path: string, endpoint: Endpoint, { crossOrigin = true } = {}): Route {
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
    allow: allowOf(endpoint),
    match(pathname) {
      const m = pattern.exec(pathname);
      if (!m) return null;
      return Object.fromEntries(names.map((name, i) => [name, decode(m[i + 1] ?? "")]));
    },
  };
}
