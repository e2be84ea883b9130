import { getResource, listResource, paramsToRecord } from "@exports/core";
import type { Endpoint } from "../http/route";
import { authed } from "../rest/handler";
import { pageResponse } from "../rest/pagination";

/**
 * An exportable resource's list (`GET /api/v1/<key>/`): filtered in the shared grammar, in id order,
 * paginated like every array API (SPEC §3). The resource is looked up once, when the route table loads, so
 * a wrong key fails at start-up, not on a request.
 */
export function resourceListEndpoint(key: string): Endpoint {
  const resource = getResource(key);
  return {
    GET: authed(async ({ db, url }) =>
      pageResponse(url, await listResource(db, resource, paramsToRecord(url.searchParams))),
    ),
  };
}
