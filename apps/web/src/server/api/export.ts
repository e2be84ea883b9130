import { findExport } from "@exports/core";
import type { Endpoint } from "../http/route";
import { authed } from "../rest/handler";
import { jsonWithEtag } from "../rest/respond";

/** /api/v1/exports/{id}/ */
export const exportEndpoint: Endpoint = {
  /** The given retrieve (SPEC §2.1, 2.8), with a strong ETag (`If-None-Match` → 304). */
  GET: authed<"id">(async ({ db, actor, params, req }) =>
    jsonWithEtag(req, await findExport(db, actor, params.id)),
  ),
};
