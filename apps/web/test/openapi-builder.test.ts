import { describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "~/server/rest/openapi/document";
import { type Route, route } from "~/server/rest/route";
import { API_ROUTES } from "~/server/rest/routes";

// The OpenAPI document is produced from the route table: what a route describes is what is served, and the
// builder refuses a table that loses a given operation or defines a component twice.

const handle = async () => new Response(null, { status: 204 });
const pingOperation = { operationId: "ping", responses: { "204": { description: "Pong." } } };

describe("the OpenAPI builder", () => {
  it("serves each route's own operation under its path and method; a route without one stays out", () => {
    const ping = route("/api/v1/ping/", {
      GET: { handle, access: "public", openapi: () => pingOperation },
      POST: { handle, access: "public" },
    });
    const doc = buildOpenApiDocument([...API_ROUTES, ping]);
    expect(doc.paths["/api/v1/ping/"]).toEqual({ get: pingOperation });
    expect(Object.keys(doc.paths)).not.toContain("/api/trpc/{procedure}");
  });

  it("refuses a table that no longer describes a given operation", () => {
    const withoutRetrieve = API_ROUTES.filter((r) => r.path !== "/api/v1/exports/{id}/");
    expect(() => buildOpenApiDocument(withoutRetrieve)).toThrow(/given get \/api\/v1\/exports\/\{id\}\//);
  });

  it("refuses a component defined twice, or one that would replace a given one", () => {
    const defining = (path: string, schemas: Record<string, unknown>): Route =>
      route(path, {
        GET: { handle, access: "public", openapi: () => pingOperation, components: () => ({ schemas }) },
      });
    const twice = [defining("/api/v1/a/", { Thing: {} }), defining("/api/v1/b/", { Thing: {} })];
    expect(() => buildOpenApiDocument([...API_ROUTES, ...twice])).toThrow(/schemas\/Thing is defined twice/);
    const shared = [defining("/api/v1/a/", { ErrorDetail: {} })];
    expect(() => buildOpenApiDocument([...API_ROUTES, ...shared])).toThrow(/ErrorDetail is defined twice/);
    const given = [defining("/api/v1/a/", { Export: {} })];
    expect(() => buildOpenApiDocument([...API_ROUTES, ...given])).toThrow(/schemas\/Export is defined twice/);
  });
});
