import { DEFAULT_LIMIT, exportFilterSpec, MAX_LIMIT } from "@exports/core";
import type { ComponentKind, Components, Json } from "../route";
import { aliasText, filterParameter } from "./filters";
import { GIVEN_FILTER_COMPONENTS, givenParameterComponents } from "./given";

/** The components several routes share; one route's own components live with it. */

export const ref = (kind: ComponentKind, name: string) => ({ $ref: `#/components/${kind}/${name}` });
export const jsonContent = (schema: Json) => ({ "application/json": { schema } });

/** An error answer with the usual `{"detail": …}` body. */
export const detailResponse = (description: string, example: string, headers?: Json): Json => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/json": { schema: ref("schemas", "ErrorDetail"), example: { detail: example } } },
});

/** What any authenticated operation may also answer. */
export const COMMON_RESPONSES = {
  "401": ref("responses", "Unauthenticated"),
  "503": ref("responses", "Unavailable"),
};

/** The given parameter components, saying what we accept: a UUID id, the spec's choices (and `pending`). */
function givenParameters(): Json {
  const given = givenParameterComponents();
  const out: Json = {
    id_path: {
      ...given.id_path,
      description: "The export's id: a UUID (anything else is a 404).",
      schema: { type: "string", format: "uuid" },
    },
  };
  for (const name of GIVEN_FILTER_COMPONENTS) {
    const filter = exportFilterSpec[name];
    if (!filter) throw new Error(`the exports list has no filter ${name}`);
    // The given sentence where it is true (the given created_date one offered its lookups as values).
    const description =
      name === "created_date"
        ? "Filter by creation date: equal to this ISO 8601 date-time (no zone: UTC). The lookups are parameters of their own: `created_date__gt|gte|lt|lte`, `created_date__date` and `created_date__date__gt|gte|lt|lte`."
        : `${(given[name] as { description: string }).description}${aliasText(filter)}`;
    out[name] = { ...filterParameter(name, filter, "exact"), description };
  }
  return out;
}

export function sharedComponents(): Components {
  return {
    parameters: {
      ...givenParameters(),
      "If-None-Match": {
        name: "If-None-Match",
        in: "header",
        required: false,
        description:
          "ETags of representations the client has (or `*`); when one names the current one (weak comparison), the answer is a 304 without a body.",
        schema: { type: "string" },
      },
      limit: {
        name: "limit",
        in: "query",
        required: false,
        description: `Records per page (default ${DEFAULT_LIMIT}; a larger value is capped at ${MAX_LIMIT}).`,
        schema: { type: "integer", minimum: 1, default: DEFAULT_LIMIT },
      },
      page: {
        name: "page",
        in: "query",
        required: false,
        description: "Page number, from 1; a page past the end is an empty array.",
        schema: { type: "integer", minimum: 1, default: 1 },
      },
      resource_ordering: {
        name: "ordering",
        in: "query",
        required: false,
        description: "`id` (default) or `-id` (newest first).",
        schema: { type: "string", enum: ["id", "-id"], default: "id" },
      },
    },
    schemas: {
      ErrorDetail: {
        type: "object",
        properties: { detail: { type: "string", description: "What went wrong, for a person." } },
        required: ["detail"],
      },
      FieldErrors: {
        type: "object",
        description:
          "Validation errors: each field (or `non_field_errors`) → its messages. Every problem is reported at once.",
        additionalProperties: { type: "array", items: { type: "string" } },
        example: {
          request_path: ['Unknown filter "colour".'],
          format_type: ['"xml" is not a valid choice.'],
        },
      },
    },
    responses: {
      BadRequest: {
        description: "Invalid input: field → messages (or `detail` for a body that is not JSON).",
        content: {
          "application/json": {
            schema: { oneOf: [ref("schemas", "FieldErrors"), ref("schemas", "ErrorDetail")] },
          },
        },
      },
      Unauthenticated: detailResponse(
        "Not authenticated: no `Authorization` header, an unknown or revoked key, or an expired one (`Token expired.`).",
        "Authentication credentials were not provided.",
        { "WWW-Authenticate": ref("headers", "WWW-Authenticate") },
      ),
      PermissionDenied: detailResponse(
        "Authenticated, but not allowed.",
        "You do not have permission to perform this action.",
      ),
      ScopeMissing: detailResponse(
        "The key lacks the scope this operation needs (`x-required-access`); a session has every scope.",
        "This key lacks the scope exports:write.",
      ),
      Conflict: detailResponse(
        "The export is not in a state that allows this.",
        "Export is not completed (status: processing).",
      ),
      NotModified: {
        description:
          "`If-None-Match` names the current representation: no body; its `ETag` (and caching headers) as a 200 would have them.",
        headers: { ETag: ref("headers", "ETag") },
      },
      Unavailable: detailResponse(
        "The database is unavailable; try again after `Retry-After` seconds.",
        "The database is unavailable. Try again in a moment.",
        { "Retry-After": ref("headers", "Retry-After") },
      ),
    },
    headers: {
      "X-Total-Count": {
        description: "Records matching the filters, on every page.",
        schema: { type: "integer" },
      },
      Link: {
        description:
          'RFC 8288 links to the first, previous, next and last pages: `</api/v1/…?page=2&limit=100>; rel="next"`.',
        schema: { type: "string" },
      },
      "Retry-After": { description: "Seconds to wait before trying again.", schema: { type: "integer" } },
      "WWW-Authenticate": { description: "`Token`: the authentication scheme.", schema: { type: "string" } },
      ETag: {
        description:
          "A strong validator of this representation's exact bytes: send it back in `If-None-Match` (→ 304) or, for a download, `If-Range`.",
        schema: { type: "string", example: '"3q2-7wEAAAB4AHkAegB7AHwAfQB-AH8A"' },
      },
    },
  };
}
