import type { Endpoint } from "../http/route";
import { openApiDocument } from "../openapi/build";
import { json } from "../rest/respond";

/** /api/v1/openapi.json */
export const openApiEndpoint: Endpoint = {
  /**
   * The OpenAPI 3 document of every REST operation (the dashboard's API docs page renders it). Public on
   * purpose: it describes the API (as the README does), never any data, and touches no database; keeping it
   * open lets API clients and code generators read it before they have a token.
   */
  GET: async () => json(openApiDocument(), 200, { "Cache-Control": "public, max-age=300" }),
};
