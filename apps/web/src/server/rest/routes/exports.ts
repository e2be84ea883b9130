import {
  createExport,
  createExportInput,
  DEFAULT_EXPORT_ORDERING,
  env,
  exportFilterSpec,
  exportLimitsFromEnv,
  exportOrderings,
  listExportsJson,
  MAX_FILTER_FILE_BYTES,
  paramsToRecord,
} from "@exports/core";
import { z } from "zod";
import { getStorage } from "../../storage";
import { MAX_JSON_BODY_BYTES, readJsonObject } from "../http/body";
import { authed } from "../http/handler";
import { cacheModeOf, listCache, listCacheKey } from "../http/list-cache";
import {
  isMultipart,
  MAX_FORM_PARTS,
  MAX_MULTIPART_BODY_BYTES,
  readMultipartCreate,
} from "../http/multipart";
import { pageJsonResponse } from "../http/pagination";
import { json } from "../http/respond";
import { COMMON_RESPONSES, detailResponse, jsonContent, ref } from "../openapi/components";
import { filterParameter, lookupsOf } from "../openapi/filters";
import { GIVEN_FILTER_COMPONENTS, givenOperation } from "../openapi/given";
import { type Json, route } from "../route";

const PATH = "/api/v1/exports/";

/** The given list (SPEC §2.2–2.5, 2.8), through the list cache (keyed by the authenticated actor). */
const list = authed(async ({ db, actor, url, req }) =>
  listCache(db).serve(listCacheKey(actor, url), cacheModeOf(req), async () =>
    pageJsonResponse(url, await listExportsJson(db, actor, paramsToRecord(url.searchParams))),
  ),
);

/** Create (SPEC §3): a JSON body, or multipart with an optional `filter_file` restricting the export. */
const create = authed(async ({ db, actor, req }) => {
  const idempotencyKey = req.headers.get("idempotency-key") ?? undefined;
  const { input, filterFile } = isMultipart(req)
    ? await readMultipartCreate(req)
    : { input: await readJsonObject(req), filterFile: undefined };
  const result = await createExport(db, actor, input, {
    limits: exportLimitsFromEnv(env()),
    filterFile,
    storage: getStorage(),
    idempotencyKey,
  });
  // A repeat under the same Idempotency-Key answers as the first did; an identical export in flight is a 200.
  if (result.outcome === "replayed") return json(result.export, 201, { "Idempotent-Replayed": "true" });
  return json(result.export, result.outcome === "created" ? 201 : 200);
});

/** The list's parameters besides the given ones: every lookup of every filter of its spec. */
function listFilterParameters(): Json[] {
  const given: readonly string[] = GIVEN_FILTER_COMPONENTS;
  return Object.entries(exportFilterSpec).flatMap(([field, filter]) =>
    lookupsOf(filter)
      .filter((lookup) => !(lookup === "exact" && given.includes(field)))
      .map((lookup) => filterParameter(field, filter, lookup)),
  );
}

function listOperation(): Json {
  const given = givenOperation(PATH, "get");
  return {
    operationId: "exports_list",
    ...given,
    parameters: [
      ...given.parameters,
      ...listFilterParameters(),
      ref("parameters", "limit"),
      ref("parameters", "page"),
      ref("parameters", "exports_ordering"),
    ],
    responses: {
      ...given.responses,
      "200": {
        ...given.responses["200"],
        headers: {
          "X-Total-Count": ref("headers", "X-Total-Count"),
          Link: ref("headers", "Link"),
          "X-Cache": ref("headers", "X-Cache"),
        },
      },
      "400": ref("responses", "BadRequest"),
      ...COMMON_RESPONSES,
    },
  };
}

const listComponents = () => ({
  parameters: {
    exports_ordering: {
      name: "ordering",
      in: "query",
      required: false,
      description: "`-created_date` (default: newest first) or `created_date` (oldest first).",
      schema: { type: "string", enum: Object.keys(exportOrderings), default: DEFAULT_EXPORT_ORDERING },
    },
  },
  headers: {
    "X-Cache": {
      description: "`hit`, `miss` or `bypass`: whether the answer came from the web process's list cache.",
      schema: { type: "string", enum: ["hit", "miss", "bypass"] },
    },
  },
});

const FIELD_TEXT: Record<string, string> = {
  request_path:
    "A registered list path with its filters, e.g. `/api/v1/products/?is_active=true&price__gte=100`. Not a URL, host, `..` or encoded slash; `limit`, `page` and `ordering` in it are ignored (an export takes every page, in id order). An unknown filter is a 400.",
  request_fields:
    "Columns, in order; empty: the resource's default columns. Each must be a field of the resource.",
  format_type: "`xls` is an Excel workbook (.xlsx).",
  language: "Language of the header labels.",
  action_name: 'A name for the export, e.g. "export_products".',
  options:
    'How the file is written (README, "Export options"): `delimiter` (`,` `;` tab), `decimal_separator` (`.` `,`; not `,` with a `,` delimiter), `timezone` (IANA; date-times in it, the zone in header labels), `include_header`, `compression` (`none`, `gzip` for CSV and JSON), `language_defaults` (options left out from the language: `tr` → `;`, `,`, Europe/Istanbul). Retrieve shows them all as applied.',
};

/**
 * The create body: the schema core parses it with, its input side (`io: "input"`: defaulted fields optional),
 * in OpenAPI 3.0's dialect (`nullable`). A type JSON Schema cannot express throws (`unrepresentable`'s default).
 */
function exportCreateSchema(): Json {
  const { $schema: _, ...schema } = z.toJSONSchema(createExportInput, { target: "openapi-3.0", io: "input" });
  const properties = schema.properties as Record<string, Json>;
  for (const [name, text] of Object.entries(FIELD_TEXT)) {
    if (properties[name]) properties[name] = { ...properties[name], description: text };
  }
  return { ...schema, description: "An export to create." };
}

function createComponents() {
  const body = exportCreateSchema();
  return {
    schemas: {
      ExportCreate: body,
      ExportCreateMultipart: {
        type: "object",
        description:
          "The same fields as the JSON body (`request_fields` repeated once per field, in order), plus an optional filter file.",
        properties: {
          ...(body.properties as Json),
          filter_file: {
            type: "string",
            format: "binary",
            description: `One identifier per line, or a CSV whose header names a key column (e.g. \`sku\`): the export is restricted to those records. At most ${MAX_FILTER_FILE_BYTES} bytes.`,
          },
        },
        required: body.required,
      },
    },
    responses: {
      PayloadTooLarge: detailResponse(
        `The body is too large (JSON: ${MAX_JSON_BODY_BYTES} bytes; multipart: ${MAX_MULTIPART_BODY_BYTES} bytes or more than ${MAX_FORM_PARTS} parts).`,
        `Request body is larger than ${MAX_JSON_BODY_BYTES} bytes.`,
      ),
      UnsupportedMediaType: detailResponse(
        "The body is neither `application/json` nor `multipart/form-data`.",
        'Unsupported media type "text/plain" in request.',
      ),
      TooManyRequests: detailResponse(
        "Too many requests; try again after `Retry-After` seconds. The message says what to do.",
        "You have 5 unfinished exports, the most one user may have at once. Wait until one of them finishes; try again in 30 seconds.",
        { "Retry-After": ref("headers", "Retry-After") },
      ),
    },
  };
}

const createOperation = (): Json => ({
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
        encoding: {
          request_fields: { style: "form", explode: true },
          options: { contentType: "application/json" },
        },
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
    ...COMMON_RESPONSES,
    "409": ref("responses", "Conflict"),
    "413": ref("responses", "PayloadTooLarge"),
    "415": ref("responses", "UnsupportedMediaType"),
    "429": ref("responses", "TooManyRequests"),
  },
});

export const exportsRoute = route(PATH, {
  GET: { handle: list, access: "exports:read", openapi: listOperation, components: listComponents },
  POST: { handle: create, access: "exports:write", openapi: createOperation, components: createComponents },
});
