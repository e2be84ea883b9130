import { type Actor, authenticateHeader, type Db } from "@exports/core";
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

/**
 * A REST door: authenticate (`Authorization: Token <key>`), call the service, and map any error once.
 * Handlers only read HTTP and shape the contract's response; rules live in @exports/core.
 */
export function authed<P = Record<string, never>>(handler: (ctx: RestContext<P>) => Promise<Response>) {
  return async (req: Request, route: RouteContext<P>): Promise<Response> => {
    try {
      const db = getDb();
      const actor = await authenticateHeader(db, req.headers.get("authorization"));
      const params = (await route?.params) ?? ({} as P);
      return await handler({ req, url: new URL(req.url), db, actor, params });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
