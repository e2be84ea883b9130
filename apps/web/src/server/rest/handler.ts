import type { Actor, Db } from "@exports/core";
import { authenticateRequest } from "../auth/request";
import { getDb } from "../db";
import { errorResponse } from "./respond";

export interface RestContext<P> {
  req: Request;
  url: URL;
  db: Db;
  actor: Actor;
  params: P;
}

type RouteContext<P> = { params: Promise<P> };

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
 * Handlers only read HTTP and shape the contract's response; rules live in @exports/core.
 */
export function authed<P = Record<string, never>>(
  handler: (ctx: RestContext<P>) => Promise<Response>,
  options: AuthedOptions = {},
) {
  return async (req: Request, route: RouteContext<P>): Promise<Response> => {
    try {
      const db = getDb();
      const { actor } = await authenticateRequest(db, req.headers, {
        allowSession: options.allowSession === true && (req.method === "GET" || req.method === "HEAD"),
      });
      const params = (await route?.params) ?? ({} as P);
      return await handler({ req, url: new URL(req.url), db, actor, params });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
