import { createExport, env, exportLimitsFromEnv, listExports, paramsToRecord } from "@exports/core";
import type { Endpoint } from "../http/route";
import { readJsonObject } from "../rest/body";
import { authed } from "../rest/handler";
import { cacheModeOf, listCache, listCacheKey } from "../rest/list-cache";
import { isMultipart, readMultipartCreate } from "../rest/multipart";
import { pageResponse } from "../rest/pagination";
import { json } from "../rest/respond";
import { getStorage } from "../storage";

/** /api/v1/exports/ */
export const exportsEndpoint: Endpoint = {
  /**
   * The given list (SPEC §2.2–2.5, 2.8), answered from the list cache while the exports table has not changed
   * (rest/list-cache.ts). Authentication still runs on every request; the cache is keyed by the actor.
   */
  GET: authed(async ({ db, actor, url, req }) =>
    listCache(db).serve(listCacheKey(actor, url), cacheModeOf(req), async () =>
      pageResponse(url, await listExports(db, actor, paramsToRecord(url.searchParams))),
    ),
  ),

  /**
   * Create (SPEC §3): a JSON body, or multipart with an optional `filter_file` that restricts the export to
   * the records it names.
   */
  POST: authed(async ({ db, actor, req }) => {
    const idempotencyKey = req.headers.get("idempotency-key") ?? undefined;
    const { input, filterFile } = isMultipart(req)
      ? await readMultipartCreate(req)
      : { input: await readJsonObject(req), filterFile: undefined };
    const result = await createExport(db, actor, input, {
      limits: exportLimitsFromEnv(env()),
      filterFile,
      storage: getStorage(),
      idempotencyKey,
    });
    // A repeat under the same Idempotency-Key answers as the first request did; an identical export already
    // in flight is returned (200) instead of a second one being started.
    if (result.outcome === "replayed") return json(result.export, 201, { "Idempotent-Replayed": "true" });
    return json(result.export, result.outcome === "created" ? 201 : 200);
  }),
};
