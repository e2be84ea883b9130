import {
  createExportInput,
  DEFAULT_EXPORT_ORDERING,
  DEFAULT_LIMIT,
  DEFAULT_LOOKUPS,
  exportFilterSpec,
  exportOrderings,
  type FilterField,
  type Lookup,
  MAX_FILTER_FILE_BYTES,
  MAX_LIMIT,
  RESOURCES,
  type Resource,
  type ResourceField,
} from "@exports/core";
import { z } from "zod";
import { MAX_JSON_BODY_BYTES } from "../rest/body";
import { MAX_FORM_PARTS, MAX_MULTIPART_BODY_BYTES } from "../rest/multipart";
import seed from "./omnitron-exports.seed.openapi.json";

/**
 * The OpenAPI 3 document of every REST operation we serve (`GET /api/v1/openapi.json`).
 *
 * - The three given operations (retrieve, list, set_cancel) keep the given document's response schemas (the
 *   Export record, the 404 body), so every answer still validates against them; around those the document
 *   describes what we serve (issue 12 §6, SPEC §2): the `id` parameter is a UUID string, the list's filters
 *   list the choices we accept and every lookup and pagination parameter, each operation has an operationId,
 *   the answers we add (401, 503, 304, …) are listed. Each difference from the given text is in the README
 *   ("The served OpenAPI document"), and a test checks that nothing else of the given text changes.
 * - Our operations are described here; their request bodies come from the same zod schemas the services
 *   validate with (`z.toJSONSchema`), their filters from each resource's registry entry (every filter with
 *   every lookup it accepts), their record schemas from the resource's fields. The exports list's parameters
 *   come the same way from its filter spec and orderings.
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

**The given operations** (retrieve, list, set_cancel) keep the response schemas they were given; the rest of
their description is what we serve. Where the given contract contradicts itself, these decisions stand:

- Ids are UUIDs (the given text typed the \`id\` path parameter integer). A path id that is not a UUID
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
- Paths answer with and without their trailing slash, never with a redirect.

**HTTP.** Every path that answers GET answers HEAD (the same headers, no body); \`Allow\` lists them. Retrieve and
downloads carry a strong \`ETag\`: \`If-None-Match\` answers 304. Downloads take one byte range
(\`Range: bytes=…\` → 206 with \`Content-Range\`, 416 when no byte of it exists; several ranges or a malformed
header: the whole file) and \`If-Range\`, so that a broken download resumes. Browser pages of the origins the
server lists in \`CORS_ORIGINS\` may call the REST API (CORS, without credentials: send the token header).`;

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

/** A filter of the grammar as a document needs it: a resource field's, or the exports list's spec entry. */
type Filter = Pick<FilterField, "kind" | "lookups" | "choices" | "aliases">;

/** The values a choice filter accepts: its choices, then its aliases (`pending`). */
const choicesOf = (filter: Filter): string[] => [
  ...(filter.choices ?? []),
  ...Object.keys(filter.aliases ?? {}),
];

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
      return { type: "string", enum: choicesOf(filter) };
    default:
      return { type: "string" };
  }
}

/** What each alias of a choice filter stands for (`pending`), as sentences; empty without aliases. */
const aliasText = (filter: Filter) =>
  Object.entries(filter.aliases ?? {})
    .map(([alias, meaning]) => ` \`${alias}\` stands for ${meaning.join(", ")}.`)
    .join("");

/** One query parameter of a filter's lookup. */
function filterParameter(field: string, filter: Filter, lookup: Lookup): Json {
  let description = LOOKUP_TEXT[lookup]?.(`\`${field}\``) ?? lookup;
  if (filter.kind === "choice" && lookup === "in")
    description += ` Choices: ${choicesOf(filter).join(", ")}.`;
  description += aliasText(filter);
  return {
    name: lookup === "exact" ? field : `${field}__${lookup}`,
    in: "query",
    required: false,
    description,
    schema: filterValueSchema(filter, lookup),
  };
}

const lookupsOf = (filter: Filter) => filter.lookups ?? DEFAULT_LOOKUPS[filter.kind];

/** Every query parameter a resource list accepts: each filter with each of its lookups. */
function resourceFilterParameters(resource: Resource): Json[] {
  return resource.fields.flatMap((field) =>
    field.filter
      ? lookupsOf(field.filter).map((lookup) => filterParameter(field.name, field.filter as Filter, lookup))
      : [],
  );
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

/** The given list's filter parameters, by the given component names (the exact lookup of each filter). */
const GIVEN_FILTER_COMPONENTS = ["created_date", "status", "format_type"] as const;

/**
 * The given parameter components, under their given names (the given operations `$ref` them), describing what
 * we accept: the `id` is a UUID string, and each filter's choices are the spec's (with `pending`).
 */
function givenParameters(): Json {
  const given = seed.components.parameters as Record<string, Json>;
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
    // The given sentence, where it is true (the given created_date one offered its lookups as values).
    const description =
      name === "created_date"
        ? "Filter by creation date: equal to this ISO 8601 date-time (no zone: UTC). The lookups are parameters of their own: `created_date__gt|gte|lt|lte`, `created_date__date` and `created_date__date__gt|gte|lt|lte`."
        : `${(given[name] as { description: string }).description}${aliasText(filter)}`;
    out[name] = { ...filterParameter(name, filter, "exact"), description };
  }
  return out;
}

/** The exports list's other filter parameters: every lookup of every filter but the given exact ones. */
function exportsListFilterParameters(): Json[] {
  return Object.entries(exportFilterSpec).flatMap(([field, filter]) =>
    lookupsOf(filter)
      .filter(
        (lookup) => !(lookup === "exact" && (GIVEN_FILTER_COMPONENTS as readonly string[]).includes(field)),
      )
      .map((lookup) => filterParameter(field, filter, lookup)),
  );
}

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
      `The body is too large (JSON: ${MAX_JSON_BODY_BYTES} bytes; multipart: ${MAX_MULTIPART_BODY_BYTES} bytes or more than ${MAX_FORM_PARTS} parts).`,
      `Request body is larger than ${MAX_JSON_BODY_BYTES} bytes.`,
    ),
    UnsupportedMediaType: detail(
      "The body is neither `application/json` nor `multipart/form-data`.",
      'Unsupported media type "text/plain" in request.',
    ),
    TooManyRequests: detail(
      "Too many requests; try again after `Retry-After` seconds. The message says what to do.",
      "You have 5 unfinished exports, the most one user may have at once. Wait until one of them finishes; try again in 30 seconds.",
      { "Retry-After": ref("headers", "Retry-After") },
    ),
    NotModified: {
      description:
        "`If-None-Match` names the current representation: no body; its `ETag` (and caching headers) as a 200 would have them.",
      headers: { ETag: ref("headers", "ETag") },
    },
    RangeNotSatisfiable: detail(
      "No byte of the requested range exists (a first byte at or past the end, a suffix of 0 bytes, an empty file).",
      "Range not satisfiable: the file has 1234 bytes.",
      {
        "Content-Range": {
          description: "`bytes */<size>`: the file's size.",
          schema: { type: "string", example: "bytes */1234" },
        },
      },
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
    ETag: {
      description:
        "A strong validator of this representation's exact bytes: send it back in `If-None-Match` (→ 304) or, for a download, `If-Range`.",
      schema: { type: "string", example: '"3q2-7wEAAAB4AHkAegB7AHwAfQB-AH8A"' },
    },
    "Accept-Ranges": { description: "`bytes`: a byte range may be asked for.", schema: { type: "string" } },
    "X-Cache": {
      description: "`hit`, `miss` or `bypass`: whether the answer came from the web process's list cache.",
      schema: { type: "string", enum: ["hit", "miss", "bypass"] },
    },
  };

  const parameters: Json = {
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
    exports_ordering: {
      name: "ordering",
      in: "query",
      required: false,
      description: "`-created_date` (default: newest first) or `created_date` (oldest first).",
      schema: { type: "string", enum: Object.keys(exportOrderings), default: DEFAULT_EXPORT_ORDERING },
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
      "Creates an export of a registered list (`request_path`) with its filters, the chosen columns, format and language; the caller owns it. It starts `waiting`; workers take it from there. Send JSON, or `multipart/form-data` with a `filter_file` that restricts the export to the records it names. Abuse limits: at most MAX_ACTIVE_EXPORTS_PER_USER unfinished exports per user and MAX_FILTER_FILES_PER_USER stored filter files (429 with Retry-After); an identical export already in flight is returned with 200 instead of a second one; a repeat under the same `Idempotency-Key` returns the first result (201, `Idempotent-Replayed: true`), and the same key with a different request is a 409.",
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
  const content = {
    "text/csv": file,
    "application/json": file,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": file,
  };
  const fileHeaders = {
    "Content-Disposition": {
      description: "`attachment; filename=\"…\"; filename*=UTF-8''…`",
      schema: { type: "string" },
    },
    ETag: ref("headers", "ETag"),
    "Accept-Ranges": ref("headers", "Accept-Ranges"),
  };
  return {
    operationId: "exports_download",
    summary: "Download an export's file",
    description:
      "Streams the result file of a completed export, to its owner or a superuser (anyone else: 404). `result_file` holds this URL. Also accepts the dashboard's session cookie, so that the link works in a browser. A broken download resumes: ask for the rest with `Range: bytes=<received>-` and `If-Range: <the ETag>` (a file that changed meanwhile comes whole, with 200).",
    tags: ["Exports"],
    security: [{ Token: [] }, { Session: [] }],
    parameters: [
      ref("parameters", "id_path"),
      {
        name: "Range",
        in: "header",
        required: false,
        description:
          "One byte range: `bytes=<first>-<last>`, `bytes=<first>-` or `bytes=-<suffix length>` → 206. Several ranges, another unit or a malformed value are ignored (200, the whole file).",
        schema: { type: "string", example: "bytes=1048576-" },
      },
      {
        name: "If-Range",
        in: "header",
        required: false,
        description:
          "The `ETag` of the file the client has part of: the range is served only while the file is still that one; otherwise the whole file (200).",
        schema: { type: "string" },
      },
      ref("parameters", "If-None-Match"),
    ],
    responses: {
      "200": {
        description: "The file, as an attachment named after the export.",
        headers: fileHeaders,
        content,
      },
      "206": {
        description: "The requested bytes of the file.",
        headers: {
          ...fileHeaders,
          "Content-Range": {
            description: "`bytes <first>-<last>/<size>`.",
            schema: { type: "string", example: "bytes 1048576-2097151/5242880" },
          },
        },
        content,
      },
      "304": ref("responses", "NotModified"),
      ...common,
      "404": ref("responses", "404"),
      "409": ref("responses", "Conflict"),
      "410": ref("responses", "Gone"),
      "416": ref("responses", "RangeNotSatisfiable"),
    },
  };
}

/** Responses of ours besides the given ones, after them (the given ones stay as given). */
const withResponses = (given: Json, extra: Json): Json => ({ ...given, ...extra });

/**
 * The given operations, described as we serve them (their given response schemas kept): operationIds, the
 * parameters we accept, the answers we add. `paths` holds a copy of the given document's paths.
 */
function describeGivenOperations(paths: Record<string, Record<string, Json>>): void {
  const operation = (p: string, method: string) => {
    const op = paths[p]?.[method];
    if (!op) throw new Error(`the given document lost ${method} ${p}`);
    return op;
  };

  const retrieve = operation("/api/v1/exports/{id}/", "get");
  const retrieved = retrieve.responses as Record<string, Json>;
  paths["/api/v1/exports/{id}/"] = {
    get: {
      operationId: "exports_retrieve",
      ...retrieve,
      parameters: [...(retrieve.parameters as Json[]), ref("parameters", "If-None-Match")],
      responses: withResponses(
        { ...retrieved, "200": { ...retrieved["200"], headers: { ETag: ref("headers", "ETag") } } },
        { "304": ref("responses", "NotModified"), ...common },
      ),
    },
  };

  const list = operation("/api/v1/exports/", "get");
  const listed = list.responses as Record<string, Json>;
  const exportsItem = paths["/api/v1/exports/"] as Record<string, Json>;
  exportsItem.get = {
    operationId: "exports_list",
    ...list,
    parameters: [
      ...(list.parameters as Json[]),
      ...exportsListFilterParameters(),
      ref("parameters", "limit"),
      ref("parameters", "page"),
      ref("parameters", "exports_ordering"),
    ],
    responses: withResponses(
      {
        ...listed,
        "200": {
          ...listed["200"],
          headers: {
            "X-Total-Count": ref("headers", "X-Total-Count"),
            Link: ref("headers", "Link"),
            "X-Cache": ref("headers", "X-Cache"),
          },
        },
      },
      { "400": ref("responses", "BadRequest"), ...common },
    ),
  };

  const cancel = operation("/api/v1/exports/{id}/set_cancel/", "post");
  paths["/api/v1/exports/{id}/set_cancel/"] = {
    post: {
      operationId: "exports_set_cancel",
      ...cancel,
      responses: withResponses(
        // The given 403 has no body; ours has the usual `{"detail": …}`.
        { ...(cancel.responses as Json), "403": ref("responses", "PermissionDenied") },
        { "409": ref("responses", "Conflict"), ...common },
      ),
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
  describeGivenOperations(paths);
  const exportsList = paths["/api/v1/exports/"];
  if (!exportsList) throw new Error("the given document lost /api/v1/exports/");
  exportsList.post = createOperation();
  paths["/api/v1/exports/{id}/download/"] = { get: downloadOperation() };
  for (const resource of RESOURCES) paths[resource.path] = { get: resourceListOperation(resource) };
  paths["/api/v1/openapi.json"] = { get: openApiOperation() };

  /** The given components of a kind, plus ours; only those named in `replacing` may replace a given one. */
  const mergeComponent = (kind: string, extra: Json, replacing: readonly string[] = []): Json => {
    const existing = (given.components[kind] ?? {}) as Json;
    for (const name of Object.keys(extra)) {
      if (name in existing && !replacing.includes(name))
        throw new Error(`component ${kind}/${name} would replace a given one`);
    }
    return { ...existing, ...extra };
  };

  return {
    openapi: given.openapi,
    info: { title: "Exports API", version: "1.0.0", description: DESCRIPTION },
    // Relative: the server that serves this document (its origin), wherever it is deployed.
    servers: [{ url: "/", description: "The server that serves this document." }],
    tags: [
      { name: "Exports", description: "Exports: the given contract (retrieve, list, set_cancel) and ours." },
      { name: "Resources", description: "The exportable lists an export's `request_path` names." },
      { name: "Documentation", description: "This document." },
    ],
    security: given.security,
    components: {
      securitySchemes: mergeComponent("securitySchemes", ours.securitySchemes),
      parameters: mergeComponent("parameters", ours.parameters, ["id_path", ...GIVEN_FILTER_COMPONENTS]),
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
