import { getResource, listResource, paramsToRecord } from "@exports/core";
import { authed } from "./handler";
import { pageResponse } from "./pagination";
import { methodsNotAllowed } from "./respond";

/**
 * The route-file exports of an exportable resource's list (`GET /api/v1/<key>/`): filtered in the shared
 * grammar, in id order, paginated like every array API (SPEC §3); any other method is a 405. The resource
 * is looked up once, when the route module loads, so a wrong key fails at start-up, not on a request.
 */
export function resourceListRoute(key: string) {
  const resource = getResource(key);
  const GET = authed(async ({ db, url }) =>
    pageResponse(url, await listResource(db, resource, paramsToRecord(url.searchParams))),
  );
  const { PUT, PATCH, DELETE, POST } = methodsNotAllowed(["GET"]);
  return { GET, POST, PUT, PATCH, DELETE };
}
