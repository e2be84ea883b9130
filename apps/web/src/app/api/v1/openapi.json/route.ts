import { openApiDocument } from "~/server/openapi/build";
import { json, methodsNotAllowed } from "~/server/rest/respond";

/**
 * GET /api/v1/openapi.json — the OpenAPI 3 document of every REST operation (the dashboard's API docs page
 * renders it). Public on purpose: it describes the API (as the README does), never any data, and touches no
 * database; keeping it open lets API clients and code generators read it before they have a token.
 */
export const GET = async () => json(openApiDocument(), 200, { "Cache-Control": "public, max-age=300" });

const { PUT, PATCH, DELETE, POST } = methodsNotAllowed(["GET"]);

export { DELETE, PATCH, POST, PUT };
