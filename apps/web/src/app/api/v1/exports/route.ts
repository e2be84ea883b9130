import { createExport, listExports, paramsToRecord } from "@exports/core";
import { readJsonObject } from "~/server/rest/body";
import { authed } from "~/server/rest/handler";
import { isMultipart, readMultipartCreate } from "~/server/rest/multipart";
import { pageResponse } from "~/server/rest/pagination";
import { json, methodsNotAllowed } from "~/server/rest/respond";
import { getStorage } from "~/server/storage";

export const dynamic = "force-dynamic";

/** GET /api/v1/exports/ — the given list (SPEC §2.2–2.5, 2.8). */
export const GET = authed(async ({ db, actor, url }) =>
  pageResponse(url, await listExports(db, actor, paramsToRecord(url.searchParams))),
);

/**
 * POST /api/v1/exports/ — create (SPEC §3): a JSON body, or multipart with an optional `filter_file` that
 * restricts the export to the records it names.
 */
export const POST = authed(async ({ db, actor, req }) => {
  if (isMultipart(req)) {
    const { input, filterFile } = await readMultipartCreate(req);
    return json(await createExport(db, actor, input, { filterFile, storage: getStorage() }), 201);
  }
  return json(await createExport(db, actor, await readJsonObject(req)), 201);
});

const { PUT, PATCH, DELETE } = methodsNotAllowed(["GET", "POST"]);

export { DELETE, PATCH, PUT };
