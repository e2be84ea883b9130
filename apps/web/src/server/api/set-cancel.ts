import { cancelExport } from "@exports/core";
import type { Endpoint } from "../http/route";
import { authed } from "../rest/handler";
import { json } from "../rest/respond";
import { getStorage } from "../storage";

/** /api/v1/exports/{id}/set_cancel/ */
export const setCancelEndpoint: Endpoint = {
  /** The given cancel (SPEC §2.9). */
  POST: authed<"id">(async ({ db, actor, params }) =>
    json(await cancelExport(db, actor, params.id, { storage: getStorage() })),
  ),
};
