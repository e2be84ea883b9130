import { type Access, type Actor, assertAccess, type Db, DomainError } from "@exports/core";
import { authenticateRequest } from "../../auth/request";
import { getDb } from "../../db";
import type { Handler, PathParams, RouteAccess } from "../route";
import { errorResponse } from "./respond";

export interface RestContext<K extends string> {
  req: Request;
  url: URL;
  db: Db;
  actor: Actor;
  params: Readonly<Record<K, string>>;
}

export interface AuthedOptions {
  /**
   * Also accept the session cookie: only for GETs a browser reaches by a link (a download). The REST
   * mutations take a token only, so they need no CSRF protection.
   */
  allowSession?: boolean;
}

/**
 * The need an authenticated operation declared; `public` or `procedures` on an authenticated handler is a
 * wiring mistake, refused (403) rather than let through.
 */
export function authenticatedNeed(access: RouteAccess): Access {
  if (access === "public" || access === "procedures") {
    throw new DomainError("FORBIDDEN", "You do not have permission to perform this action.");
  }
  return access;
}

/**
 * A REST handler: authenticate, check the key may do what the route declares the operation needs (403 naming
 * the scope; a session may do everything), call core, map any error once. `K`: the path parameters it reads.
 * Every request looks its key up afresh (no authentication is cached): a revoked or expired key is refused
 * on its very next request, before any cache (the list cache) is consulted.
 */
export function authed<K extends string = never>(
  handler: (ctx: RestContext<K>) => Promise<Response>,
  options: AuthedOptions = {},
): Handler {
  return async (req: Request, params: PathParams, url: URL, access: RouteAccess): Promise<Response> => {
    try {
      const db = getDb();
      const auth = await authenticateRequest(db, req.headers, {
        allowSession: options.allowSession === true && (req.method === "GET" || req.method === "HEAD"),
      });
      assertAccess(auth.via === "token" ? auth : { via: "session" }, authenticatedNeed(access));
      return await handler({ req, url, db, actor: auth.actor, params: params as Record<K, string> });
    } catch (err) {
      return errorResponse(err);
    }
  };
}

/**
 * A token-only REST handler whose core call authenticates the request itself, in the statement of its own
 * read (core's findExportForToken): one round trip instead of two. It hands core the route's declared `need`,
 * which core checks against the key's scopes read in that same statement. Errors are mapped as `authed` maps
 * them.
 */
export function tokenAuthed<K extends string = never>(
  handler: (ctx: {
    req: Request;
    url: URL;
    db: Db;
    authorization: string | null;
    need: Access;
    params: Readonly<Record<K, string>>;
  }) => Promise<Response>,
): Handler {
  return async (req: Request, params: PathParams, url: URL, access: RouteAccess): Promise<Response> => {
    try {
      const authorization = req.headers.get("authorization");
      const need = authenticatedNeed(access);
      return await handler({
        req,
        url,
        db: getDb(),
        authorization,
        need,
        params: params as Record<K, string>,
      });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
