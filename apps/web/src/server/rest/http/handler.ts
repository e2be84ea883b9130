import type { Actor, Db } from "@exports/core";
import { authenticateRequest } from "../../auth/request";
import { getDb } from "../../db";
import type { Handler, PathParams } from "../route";
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

/** A REST handler: authenticate, call core, map any error once. `K`: the path parameters it reads. */
export function authed<K extends string = never>(
  handler: (ctx: RestContext<K>) => Promise<Response>,
  options: AuthedOptions = {},
): Handler {
  return async (req: Request, params: PathParams, url: URL): Promise<Response> => {
    try {
      const db = getDb();
      const { actor } = await authenticateRequest(db, req.headers, {
        allowSession: options.allowSession === true && (req.method === "GET" || req.method === "HEAD"),
      });
      return await handler({ req, url, db, actor, params: params as Record<K, string> });
    } catch (err) {
      return errorResponse(err);
    }
  };
}

/**
 * A token-only REST handler whose core call authenticates the request itself, in the statement of its own
 * read (core's findExportForToken): one round trip instead of two. Errors are mapped as `authed` maps them.
 */
export function tokenAuthed<K extends string = never>(
  handler: (ctx: {
    req: Request;
    url: URL;
    db: Db;
    authorization: string | null;
    params: Readonly<Record<K, string>>;
  }) => Promise<Response>,
): Handler {
  return async (req: Request, params: PathParams, url: URL): Promise<Response> => {
    try {
      const authorization = req.headers.get("authorization");
      return await handler({ req, url, db: getDb(), authorization, params: params as Record<K, string> });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
