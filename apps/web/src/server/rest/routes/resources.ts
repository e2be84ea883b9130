import { listResource, paramsToRecord, RESOURCES, type Resource, type ResourceField } from "@exports/core";
import { authed } from "../http/handler";
import { pageResponse } from "../http/pagination";
import { COMMON_RESPONSES, jsonContent, ref } from "../openapi/components";
import { resourceFilterParameters } from "../openapi/filters";
import { type Json, type Route, route } from "../route";

/** The record schema's name: `ProductViewSet` → `Product`. */
const recordSchemaName = (resource: Resource) => resource.viewset.replace(/ViewSet$/, "");

function valueSchema(field: ResourceField): Json {
  const description = field.labels.en;
  switch (field.type) {
    case "integer":
      return { type: "integer", description };
    case "decimal":
      return { type: "string", format: "decimal", description, example: "149.90" };
    case "boolean":
      return { type: "boolean", description };
    case "datetime":
      return { type: "string", format: "date-time", description };
    case "json":
      return { type: "object", additionalProperties: true, description };
    default:
      return { type: "string", description };
  }
}

const listOperation = (resource: Resource): Json => ({
  operationId: `${resource.key}_list`,
  summary: `List ${resource.key}`,
  description: `An exportable list, in id order. Filters are the shared grammar; an unknown parameter is a 400 (a mistyped filter would otherwise export everything). The \`request_path\` of an export of this list takes the same parameters.`,
  tags: ["Resources"],
  parameters: [
    ...resourceFilterParameters(resource),
    ref("parameters", "limit"),
    ref("parameters", "page"),
    ref("parameters", "resource_ordering"),
  ],
  responses: {
    "200": {
      description: `A page of ${resource.key}.`,
      headers: { "X-Total-Count": ref("headers", "X-Total-Count"), Link: ref("headers", "Link") },
      content: jsonContent({ type: "array", items: ref("schemas", recordSchemaName(resource)) }),
    },
    "400": ref("responses", "BadRequest"),
    ...COMMON_RESPONSES,
  },
});

const recordSchema = (resource: Resource): Json => ({
  type: "object",
  description: `A record of \`${resource.path}\`, as the list and an export's rows show it.`,
  properties: Object.fromEntries(resource.fields.map((f) => [f.name, valueSchema(f)])),
  required: resource.fields.map((f) => f.name),
});

/** An exportable resource's list (SPEC §3), handler and description from its registry entry. */
function resourceRoute(resource: Resource): Route {
  return route(resource.path, {
    GET: {
      access: "exports:read",
      handle: authed(async ({ db, url }) =>
        pageResponse(url, await listResource(db, resource, paramsToRecord(url.searchParams))),
      ),
      openapi: () => listOperation(resource),
      components: () => ({ schemas: { [recordSchemaName(resource)]: recordSchema(resource) } }),
    },
  });
}

/** One list route per registered resource (products, orders). */
export const resourceRoutes: readonly Route[] = RESOURCES.map(resourceRoute);
