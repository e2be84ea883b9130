import { json } from "../http/respond";
import { jsonContent } from "../openapi/components";
import { type Json, type Route, route } from "../route";

/**
 * `GET /api/v1/openapi.json`. Public on purpose: it describes the API, as the README does, never any data,
 * touches no database, and code generators can read it before they have a token.
 */
export function openApiRoute(document: () => Json): Route {
  return route("/api/v1/openapi.json", {
    GET: {
      handle: async () => json(document(), 200, { "Cache-Control": "public, max-age=300" }),
      access: "public",
      openapi: () => ({
        operationId: "openapi_document",
        summary: "This document",
        description:
          "The OpenAPI 3 document of every REST operation. Public: it describes the API, never data, and reads no database.",
        tags: ["Documentation"],
        security: [],
        responses: {
          "200": { description: "The OpenAPI document.", content: jsonContent({ type: "object" }) },
        },
      }),
    },
  });
}
