import { getResource, listResource, paramsToRecord } from "@exports/core";
import { authed } from "~/server/rest/handler";
import { pageResponse } from "~/server/rest/pagination";
import { methodsNotAllowed } from "~/server/rest/respond";

export const dynamic = "force-dynamic";

/** GET /api/v1/products/ — an exportable list, filtered in the shared grammar, in id order. */
export const GET = authed(async ({ db, url }) =>
  pageResponse(url, await listResource(db, getResource("products"), paramsToRecord(url.searchParams))),
);

const { PUT, PATCH, DELETE, POST } = methodsNotAllowed(["GET"]);

export { DELETE, PATCH, POST, PUT };
