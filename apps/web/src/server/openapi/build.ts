import {
  createExportInput,
  DEFAULT_LIMIT,
  DEFAULT_LOOKUPS,
  MAX_FILTER_FILE_BYTES,
  MAX_LIMIT,
  RESOURCES,
  type Resource,
  type ResourceField,
} from "@exports/core";
import { z } from "zod";
import { MAX_JSON_BODY_BYTES } from "../rest/body";
import { MAX_MULTIPART_BODY_BYTES } from "../rest/multipart";
import seed from "./omnitron-exports.seed.openapi.json";

/**
 * The OpenAPI 3 document of every REST operation we serve (`GET /api/v1/openapi.json`).
 *
 * - The three given operations (retrieve, list, set_cancel) and the components they use are copied from the
 *   given document as they are: it is the contract, and a test checks they stay byte-identical. Where the
 *   given document contradicts itself (an integer id for a uuid record, filter enums listing `pending` and
 *   `xml`), SPEC.md §2 decides, and `info.description` says so; the given text is not "fixed".
 * - Our operations are described here; their request bodies come from the same zod schemas the services
 *   validate with (`z.toJSONSchema`), their filters from each resource's registry entry (every filter with
 *   every lookup it accepts), their record schemas from the resource's fields.
 */

type Json = Record<string, unknown>;

/** The given operations, as [path, method]: kept verbatim. */
export const GIVEN_OPERATIONS = [
  ["/api/v1/exports/{id}/", "get"],
  ["/api/v1/exports/", "get"],
  ["/api/v1/exports/{id}/set_cancel/", "post"],
] as const;

const clone = <T>(value: T): T => structuredClone(value);
const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });
const jsonContent = (schema: Json) => ({ "application/json": { schema } });

const DESCRIPTION = `The asynchronous export service: create an export of a back-office list (products, orders) with its
filters, columns and format; workers collect it page by page; download the file when it is completed.

**Authentication** is \`Authorization: Token <key>\` (keys from \`pnpm cli users:create\` / \`tokens:create\`). A
missing header answers 401 \`{"detail": "Authentication credentials were not provided."}\`, an unknown key 401
\`{"detail": "Invalid token."}\`, both with \`WWW-Authenticate: Token\`. The download link also accepts the
dashboard's session cookie.

**Errors** are always JSON: \`{"detail": "…"}\`, or \`{"field": ["message", …]}\` for validation errors. Any
operation may also answer 401 (not authenticated) and 503 (database unavailable, with \`Retry-After\`).

**The given operations** (retrieve, list, set_cancel) are documented exactly as they were given. Where that
contract contradicts itself, these decisions stand:

- Ids are UUIDs (the \`id\` path parameter is typed integer in the given text). A path id that is not a UUID
  answers 404 \`{"detail": "Not found."}\`.
- \`status\` accepts every status of the record; \`pending\` stands for waiting, waiting_next_page, processing and
  preparing_file_creation. \`status__in=a,b\` takes several.
- \`format_type\` accepts csv, xls, json (and \`format_type__in\`); \`xml\` is no format we produce: 400.
- \`created_date\` also takes the lookups \`created_date__gt|gte|lt|lte\`, \`created_date__date\` (a UTC calendar
  day) and \`created_date__date__gt|gte|lt|lte\`.
- The list is a JSON array, newest first, paginated with \`limit\` (default ${DEFAULT_LIMIT}, max ${MAX_LIMIT}) and
  \`page\` (from 1), with \`X-Total-Count\` and an RFC 8288 \`Link\` header (first, prev, next, last);
  \`ordering=created_date\` or \`-created_date\` (default). Unknown parameters are ignored.
- A non-superuser sees only their own exports; another user's export is a 404. set_cancel is for superusers
  (403 for others, before the lookup); on a completed or failed export it answers 409.
- Paths answer with and without their trailing slash, never with a redirect.`;

/** A human sentence for each lookup of the filter grammar. */
const LOOKUP_TEXT: Record<string, (field: string) => string> = {
  exact: (f) => `${f} equals the value.`,
  in: (f) => `${f} is one of the comma-separated values (\`a,b,c\`).`,
  gt: (f) => `${f} is greater than the value.`,
  gte: (f) => `${f} is greater than or equal to the value.`,
  lt: (f) => `${f} is less than the value.`,
  lte: (f) => `${f} is less than or equal to the value.`,
  icontains: (f) => `${f} contains the text, ignoring case.`,
  date: (f) => `${f} falls on the calendar day (UTC).`,
  date__gt: (f) => `${f} falls after the calendar day (UTC).`,
  date__gte: (f) => `${f} falls on or after the calendar day (UTC).`,
  date__lt: (f) => `${f} falls before the calendar day (UTC).`,
  date__lte: (f) => `${f} falls on or before the calendar day (UTC).`,
};

type Filter = NonNullable<ResourceField["filter"]>;

/** The schema of one filter value, by the field's filter kind and the lookup. */
function filterValueSchema(filter: Filter, lookup: string): Json {
  if (lookup === "in") return { type: "string", example: filter.choices?.slice(0, 2).join(",") ?? "a,b" };
  if (lookup.startsWith("date")) return { type: "string", format: "date", example: "2025-01-31" };
  if (lookup === "icontains") return { type: "string" };
  switch (filter.kind) {
    case "integer":
      return { type: "integer" };
    case "decimal":
      return { type: "string", format: "decimal", example: "100.00" };
    case "boolean":
      return { type: "boolean" };
    case "datetime":
      return { type: "string", format: "date-time" };
    case "uuid":
      return { type: "string", format: "uuid" };
    case "choice":
      return { type: "string", enum: [...(filter.choices ?? [])] };
    default:
      return { type: "string" };
  }
}

/** Every query parameter a resource list accepts: each filter with each of its lookups. */
function resourceFilterParameters(resource: Resource): Json[] {
  const out: Json[] = [];
  for (const field of resource.fields) {
    if (!field.filter) continue;
    for (const lookup of field.filter.lookups ?? DEFAULT_LOOKUPS[field.filter.kind]) {
      out.push({
        name: lookup === "exact" ? field.name : `${field.name}__${lookup}`,
        in: "query",
        required: false,
        description: LOOKUP_TEXT[lookup]?.(`\`${field.name}\``) ?? lookup,
        schema: filterValueSchema(field.filter, lookup),
      });
    }
  }
  return out;
}

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

/** `ProductViewSet` → `Product`. */
const recordSchemaName = (resource: Resource) => resource.viewset.replace(/ViewSet$/, "");

function recordSchema(resource: Resource): Json {
  return {
    type: "object",
    description: `A record of \`${resource.path}\`, as the list and an export's rows show it.`,
    properties: Object.fromEntries(resource.fields.map((f) => [f.name, valueSchema(f)])),
    required: resource.fields.map((f) => f.name),
  };
}

const DESCRIPTIONS: Record<string, string> = {
  request_path:
    "A registered list path with its filters, e.g. `/api/v1/products/?is_active=true&price__gte=100`. Not a URL, host, `..` or encoded slash; `limit`, `page` and `ordering` in it are ignored (an export takes every page, in id order). An unknown filter is a 400.",
  request_fields:
    "Columns, in order; empty: the resource's default columns. Each must be a field of the resource.",
  format_type: "`xls` is an Excel workbook (.xlsx).",
  language: "Language of the header labels.",
  action_name: 'A name for the export, e.g. "export_products".',
};

/** The create body from the services' own zod schema (what they accept), with a description per field. */
function exportCreateSchema(): Json {
  const schema = z.toJSONSchema(createExportInput, { target: "openapi-3.0", io: "input" }) as Json;
  delete schema.$schema;
  const properties = schema.properties as Record<string, Json>;
  for (const [name, text] of Object.entries(DESCRIPTIONS)) {
    if (properties[name]) properties[name] = { ...properties[name], description: text };
  }
  return { ...schema, description: "An export to create." };
}

function exportCreateMultipartSchema(json: Json): Json {
  return {
    type: "object",
    description:
      "The same fields as the JSON body (`request_fields` repeated once per field, in order), plus an optional filter file.",
    properties: {
      ...(json.properties as Json),
      filter_file: {
        type: "string",
        format: "binary",
        description: `One identifier per line, or a CSV whose header names a key column (e.g. \`sku\`): the export is restricted to those records. At most ${MAX_FILTER_FILE_BYTES} bytes.`,
      },
    },
    required: json.required,
  };
}

const errorExample = (detail: string) => ({ example: { detail } });

function ourComponents() {
  const exportCreate = exportCreateSchema();
  const schemas: Json = {
    ExportCreate: exportCreate,
    ExportCreateMultipart: exportCreateMultipartSchema(exportCreate),
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
  };
  for (const resource of RESOURCES) schemas[recordSchemaName(resource)] = recordSchema(resource);

  const detail = (description: string, example: string, headers?: Json): Json => ({
    description,
    ...(headers ? { headers } : {}),
    content: { "application/json": { schema: ref("schemas", "ErrorDetail"), ...errorExample(example) } },
  });

  const responses: Json = {
    BadRequest: {
      description: "Invalid input: field → messages (or `detail` for a body that is not JSON).",
      content: {
        "application/json": {
          schema: { oneOf: [ref("schemas", "FieldErrors"), ref("schemas", "ErrorDetail")] },
        },
      },
    },
    Unauthenticated: detail(
      "Not authenticated: no `Authorization` header, or an unknown token.",
      "Authentication credentials were not provided.",
      { "WWW-Authenticate": ref("headers", "WWW-Authenticate") },
    ),
    PermissionDenied: detail(
      "Authenticated, but not allowed.",
      "You do not have permission to perform this action.",
    ),
    Conflict: detail(
      "The export is not in a state that allows this.",
      "Export is not completed (status: processing).",
    ),
    Gone: detail("The result file has expired or was removed.", "The export file is no longer available."),
    PayloadTooLarge: detail(
      `The body is too large (JSON: ${MAX_JSON_BODY_BYTES} bytes; multipart: ${MAX_MULTIPART_BODY_BYTES} bytes).`,
      `Request body is larger than ${MAX_JSON_BODY_BYTES} bytes.`,
    ),
    UnsupportedMediaType: detail(
      "The body is neither `application/json` nor `multipart/form-data`.",
      'Unsupported media type "text/plain" in request.',
    ),
    TooManyRequests: detail(
      "Too many requests; try again after `Retry-After` seconds.",
      "Too many requests. Try again in 42 seconds.",
      { "Retry-After": ref("headers", "Retry-After") },
    ),
    Unavailable: detail(
      "The database is unavailable; try again after `Retry-After` seconds.",
      "The database is unavailable. Try again in a moment.",
      { "Retry-After": ref("headers", "Retry-After") },
    ),
  };

  const headers: Json = {
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
  };

  const parameters: Json = {
    export_id: {
      name: "id",
      in: "path",
      required: true,
      description: "The export's id (a UUID; anything else is a 404).",
      schema: { type: "string", format: "uuid" },
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
  };

  const securitySchemes: Json = {
    Session: {
      type: "apiKey",
      in: "cookie",
      name: "exports_session",
      description:
        "The dashboard's session cookie (sign in at /sign-in). Accepted by the download link only.",
    },
  };
  return { schemas, responses, headers, parameters, securitySchemes };
}

const common = {
  "401": ref("responses", "Unauthenticated"),
  "503": ref("responses", "Unavailable"),
};

function createOperation(): Json {
  return {
    operationId: "exports_create",
    summary: "Create an export",
    description:
      "Creates an export of a registered list (`request_path`) with its filters, the chosen columns, format and language; the caller owns it. It starts `waiting`; workers take it from there. Send JSON, or `multipart/form-data` with a `filter_file` that restricts the export to the records it names. Abuse limits: at most MAX_ACTIVE_EXPORTS_PER_USER unfinished exports per user (429 with Retry-After); an identical export already in flight is returned with 200 instead of a second one; a repeat under the same `Idempotency-Key` returns the first result (201, `Idempotent-Replayed: true`), and the same key with a different request is a 409.",
    tags: ["Exports"],
    parameters: [
      {
        name: "Idempotency-Key",
        in: "header",
        required: false,
        description: "Makes retries safe: a repeat with the same key (per user) returns the first result.",
        schema: { type: "string", maxLength: 255 },
      },
    ],
    requestBody: {
      required: true,
      content: {
        "application/json": { schema: ref("schemas", "ExportCreate") },
        "multipart/form-data": {
          schema: ref("schemas", "ExportCreateMultipart"),
          encoding: { request_fields: { style: "form", explode: true } },
        },
      },
    },
    responses: {
      "201": { description: "The export, created.", content: jsonContent(ref("schemas", "Export")) },
      "200": {
        description: "An identical export of the caller's is already in flight: that export.",
        content: jsonContent(ref("schemas", "Export")),
      },
      "400": ref("responses", "BadRequest"),
      ...common,
      "409": ref("responses", "Conflict"),
      "413": ref("responses", "PayloadTooLarge"),
      "415": ref("responses", "UnsupportedMediaType"),
      "429": ref("responses", "TooManyRequests"),
    },
  };
}

function downloadOperation(): Json {
  const file = { schema: { type: "string", format: "binary" } };
  return {
    operationId: "exports_download",
    summary: "Download an export's file",
    description:
      "Streams the result file of a completed export, to its owner or a superuser (anyone else: 404). `result_file` holds this URL. Also accepts the dashboard's session cookie, so that the link works in a browser.",
    tags: ["Exports"],
    security: [{ Token: [] }, { Session: [] }],
    parameters: [ref("parameters", "export_id")],
    responses: {
      "200": {
        description: "The file, as an attachment named after the export.",
        headers: {
          "Content-Disposition": {
            description: "`attachment; filename=\"…\"; filename*=UTF-8''…`",
            schema: { type: "string" },
          },
        },
        content: {
          "text/csv": file,
          "application/json": file,
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": file,
        },
      },
      ...common,
      "404": ref("responses", "404"),
      "409": ref("responses", "Conflict"),
      "410": ref("responses", "Gone"),
    },
  };
}

function resourceListOperation(resource: Resource): Json {
  const name = recordSchemaName(resource);
  return {
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
        content: jsonContent({ type: "array", items: ref("schemas", name) }),
      },
      "400": ref("responses", "BadRequest"),
      ...common,
    },
  };
}

function openApiOperation(): Json {
  return {
    operationId: "openapi_document",
    summary: "This document",
    description:
      "The OpenAPI 3 document of every REST operation. Public: it describes the API, never data, and reads no database.",
    tags: ["Documentation"],
    security: [],
    responses: {
      "200": { description: "The OpenAPI document.", content: jsonContent({ type: "object" }) },
    },
  };
}

export type OpenApiDocument = Json & {
  openapi: string;
  paths: Record<string, Record<string, Json>>;
  components: Record<string, Record<string, unknown>>;
};

function build(): OpenApiDocument {
  const given = clone(seed) as unknown as OpenApiDocument;
  const ours = ourComponents();
  const paths: Record<string, Record<string, Json>> = {};
  for (const [p, item] of Object.entries(given.paths)) paths[p] = { ...item };
  const exportsList = paths["/api/v1/exports/"];
  if (!exportsList) throw new Error("the given document lost /api/v1/exports/");
  exportsList.post = createOperation();
  paths["/api/v1/exports/{id}/download/"] = { get: downloadOperation() };
  for (const resource of RESOURCES) paths[resource.path] = { get: resourceListOperation(resource) };
  paths["/api/v1/openapi.json"] = { get: openApiOperation() };

  const mergeComponent = (kind: string, extra: Json): Json => {
    const existing = (given.components[kind] ?? {}) as Json;
    for (const name of Object.keys(extra)) {
      if (name in existing) throw new Error(`component ${kind}/${name} would replace a given one`);
    }
    return { ...existing, ...extra };
  };

  return {
    openapi: given.openapi,
    info: { title: "Exports API", version: "1.0.0", description: DESCRIPTION },
    tags: [
      { name: "Exports", description: "Exports: the given contract (retrieve, list, set_cancel) and ours." },
      { name: "Resources", description: "The exportable lists an export's `request_path` names." },
      { name: "Documentation", description: "This document." },
    ],
    security: given.security,
    components: {
      securitySchemes: mergeComponent("securitySchemes", ours.securitySchemes),
      parameters: mergeComponent("parameters", ours.parameters),
      schemas: mergeComponent("schemas", ours.schemas),
      responses: mergeComponent("responses", ours.responses),
      headers: mergeComponent("headers", ours.headers),
    },
    paths,
  } as OpenApiDocument;
}

let cached: OpenApiDocument | undefined;

/** The document (built once per process: it depends only on code). */
export function openApiDocument(): OpenApiDocument {
  cached ??= build();
  return cached;
}
