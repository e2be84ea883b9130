import type { Actor, Db } from "@exports/core";
import { authenticateRequest } from "../auth/request";
import { getDb } from "../db";
import type { Handler, PathParams } from "../http/route";
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
   * Also accept the dashboard's session cookie (after the `Authorization` header). Only for safe (GET)
   * operations a browser reaches by a plain link, such as a download: the REST API's mutations take a token
   * only, so they need no CSRF protection.
   */
  allowSession?: boolean;
}

/**
 * A REST door: authenticate (`Authorization: Token <key>`), call the service, and map any error once.
 * Handlers only read HTTP and shape the contract's response; rules live in @exports/core. `K` names the
 * path parameters the handler reads (the route table in ../api/routes.ts supplies them).
 */
export function authed<K extends string = never>(
  handler: (ctx: RestContext<K>) => Promise<Response>,
  options: AuthedOptions = {},
): Handler {
  return async (req: Request, params: PathParams): Promise<Response> => {
    try {
      const db = getDb();
      const { actor } = await authenticateRequest(db, req.headers, {
        allowSession: options.allowSession === true && (req.method === "GET" || req.method === "HEAD"),
      });
      return await handler({ req, url: new URL(req.url), db, actor, params: params as Record<K, string> });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
