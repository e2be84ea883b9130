import { readFileSync } from "node:fs";
import path from "node:path";
import { type ExportDto, exportEventSchema, RESOURCES } from "@exports/core";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { expect, it } from "vitest";
import type { CallOptions, CallResult, Harness, TestUser } from "./harness";

/**
 * Validates responses against the given OpenAPI contract (SPEC §2): the schema of the documented
 * operation + status, with $refs resolved and the Export record made strict (every property required,
 * no other property), so field names must match byte for byte.
 */

export const WEB_DIR = path.resolve(import.meta.dirname, "..");
export const SEED_OPENAPI_PATH = path.join(
  WEB_DIR,
  "src/server/rest/openapi/omnitron-exports.seed.openapi.json",
);
/** The shared original (present in the project's workspace, not necessarily in every checkout). */
export const SHARED_OPENAPI_PATH = path.join(
  WEB_DIR,
  "../../../shared/spec/omnitron-exports.seed.openapi.json",
);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const openapi = JSON.parse(readFileSync(SEED_OPENAPI_PATH, "utf8")) as JsonObject;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function pointer(ref: string): Json {
  if (!ref.startsWith("#/")) throw new Error(`only local $refs are supported: ${ref}`);
  let node: Json = openapi;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(node) || !(key in node)) throw new Error(`unresolvable $ref ${ref}`);
    node = node[key] as Json;
  }
  return node;
}

const EXPORT_REF = "#/components/schemas/Export";

/**
 * Fields we add to the given Export record (README, "The served OpenAPI document"): the given schema does not
 * forbid other properties, so its answers still validate against it; here each addition is named, typed and
 * required, and any other property is still refused.
 */
export const EXPORT_EXTENSIONS: JsonObject = {
  template: { type: "string", format: "uuid", nullable: true },
  options: {
    type: "object",
    properties: {
      delimiter: { type: "string", enum: [",", ";", "\t"] },
      decimal_separator: { type: "string", enum: [".", ","] },
      timezone: { type: "string" },
      include_header: { type: "boolean" },
      compression: { type: "string", enum: ["none", "gzip"] },
    },
    required: ["delimiter", "decimal_separator", "timezone", "include_header", "compression"],
    additionalProperties: false,
  },
};

/**
 * Operations we add beyond the given contract whose answers assertContract checks (issue 17): a retry answers
 * the Export record (strict, with EXPORT_EXTENSIONS); the audit trail's lists answer arrays of ExportEvent
 * (core's `exportEventSchema`; the served document describes both).
 */
export const EXTENSION_OPERATIONS = {
  retry: /^POST \/api\/v1\/exports\/[^/]+\/retry\/$/,
  exportEvents: /^GET \/api\/v1\/exports\/[^/]+\/events\/$/,
  auditEvents: /^GET \/api\/v1\/export_events\/$/,
} as const;

function withExtensions(schema: JsonObject): JsonObject {
  const properties = { ...(schema.properties as JsonObject), ...EXPORT_EXTENSIONS };
  return { ...schema, properties, required: Object.keys(properties) };
}

/** Every object schema with properties: all of them required, nothing else allowed. */
function strict(schema: JsonObject): JsonObject {
  if (schema.type === "object" && isObject(schema.properties)) {
    return { ...schema, required: Object.keys(schema.properties), additionalProperties: false };
  }
  return schema;
}

/** A copy with every $ref replaced by its (resolved, strict) target. */
export function resolve(node: Json, seen: string[] = []): Json {
  if (Array.isArray(node)) return node.map((n) => resolve(n, seen));
  if (!isObject(node)) return node;
  if (typeof node.$ref === "string") {
    if (seen.includes(node.$ref)) throw new Error(`recursive $ref ${node.$ref}`);
    const target = resolve(pointer(node.$ref), [...seen, node.$ref]);
    return node.$ref === EXPORT_REF ? withExtensions(target as JsonObject) : target;
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) out[k] = resolve(v, seen);
  return strict(out);
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
ajv.addFormat("int32", {
  type: "number",
  validate: (n: number) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX,
});
// `filter_file` is typed `string, format binary`: we hold a path/URL string there (SPEC §1).
ajv.addFormat("binary", { type: "string", validate: () => true });

export type GivenOperation =
  | "GET /api/v1/exports/"
  | "GET /api/v1/exports/{id}/"
  | "POST /api/v1/exports/{id}/set_cancel/";

export const GIVEN_OPERATIONS: readonly GivenOperation[] = [
  "GET /api/v1/exports/",
  "GET /api/v1/exports/{id}/",
  "POST /api/v1/exports/{id}/set_cancel/",
];

interface Documented {
  /** null: documented without a body schema (e.g. the given 403). */
  validate: ValidateFunction | null;
}

const compiled = new Map<string, Documented | undefined>();

/** The documented response of an operation + status, or undefined if the contract does not list it. */
export function documentedResponse(op: GivenOperation, status: number): Documented | undefined {
  const key = `${op} ${status}`;
  if (compiled.has(key)) return compiled.get(key);
  const [method, template] = op.split(" ") as [string, string];
  const paths = openapi.paths as JsonObject;
  const operation = (paths[template] as JsonObject | undefined)?.[method.toLowerCase()];
  if (!isObject(operation)) throw new Error(`the contract has no operation ${op}`);
  const responses = operation.responses as JsonObject;
  const raw = responses[String(status)];
  let result: Documented | undefined;
  if (raw !== undefined) {
    const response = resolve(raw) as JsonObject;
    const schema = (
      (response.content as JsonObject | undefined)?.["application/json"] as JsonObject | undefined
    )?.schema;
    result = { validate: isObject(schema) ? ajv.compile(schema) : null };
  }
  compiled.set(key, result);
  return result;
}

/** The strict Export record schema (also used for operations we add, e.g. create's 201). */
export const validateExport: ValidateFunction = ajv.compile(
  resolve({ $ref: "#/components/schemas/Export" }) as JsonObject,
);

function describeErrors(validate: ValidateFunction): string {
  return ajv.errorsText(validate.errors, { separator: "\n  " });
}

/** Throws unless `body` validates. */
export function assertValid(validate: ValidateFunction, body: unknown, what: string): void {
  if (!validate(body)) {
    throw new Error(
      `${what} does not match the contract:\n  ${describeErrors(validate)}\n${JSON.stringify(body)}`,
    );
  }
}

export function assertExportRecord(body: unknown, what = "Export record"): void {
  assertValid(validateExport, body, what);
}

/**
 * An error body for a status the contract does not describe (401, 400, 405, 409, 413, 415, …): a JSON
 * object that is either `{detail: string}` or `{field: [string, …], …}` (SPEC §2.10).
 */
export function assertErrorBody(body: unknown, what = "error body"): void {
  if (!isObject(body)) throw new Error(`${what} is not a JSON object: ${JSON.stringify(body)}`);
  const keys = Object.keys(body);
  if (keys.length === 0) throw new Error(`${what} is an empty object`);
  if (/\bat .+:\d+:\d+|"stack"/.test(JSON.stringify(body))) throw new Error(`${what} contains a stack trace`);
  if ("detail" in body) {
    if (typeof body.detail !== "string" || keys.length !== 1) {
      throw new Error(`${what} must be exactly {detail: string}: ${JSON.stringify(body)}`);
    }
    return;
  }
  for (const [field, messages] of Object.entries(body)) {
    const ok =
      Array.isArray(messages) &&
      messages.length > 0 &&
      messages.every((m) => typeof m === "string" && m !== "");
    if (!ok)
      throw new Error(`${what}: field ${field} must map to a list of messages: ${JSON.stringify(body)}`);
  }
}

/** Which given operation a request is, matching the contract's paths with or without the trailing slash. */
export function givenOperation(method: string, pathname: string): GivenOperation | null {
  const p = pathname.endsWith("/") ? pathname : `${pathname}/`;
  const m = method.toUpperCase();
  if (m === "GET" && p === "/api/v1/exports/") return "GET /api/v1/exports/";
  if (m === "GET" && /^\/api\/v1\/exports\/[^/]+\/$/.test(p)) return "GET /api/v1/exports/{id}/";
  if (m === "POST" && /^\/api\/v1\/exports\/[^/]+\/set_cancel\/$/.test(p)) {
    return "POST /api/v1/exports/{id}/set_cancel/";
  }
  return null;
}

/**
 * Checks any response of the REST door: a given operation's documented status against its schema; an
 * undocumented error status as a JSON error body; and the operations we add (create, the exportable
 * resources' lists) by shape.
 */
export function assertContract(
  method: string,
  requestPath: string,
  res: { status: number; body: unknown },
): void {
  const pathname = new URL(requestPath, "http://x").pathname;
  const what = `${method} ${requestPath} → ${res.status}`;
  // A 500 is a bug whatever its body (503 is the documented "database unavailable" answer).
  if (res.status >= 500 && res.status !== 503)
    throw new Error(`${what}: server error ${JSON.stringify(res.body)}`);
  const op = givenOperation(method, pathname);
  if (op) {
    const documented = documentedResponse(op, res.status);
    if (documented?.validate) {
      assertValid(documented.validate, res.body, what);
      return;
    }
    if (res.status >= 400) {
      assertErrorBody(res.body, what);
      return;
    }
    throw new Error(`${what}: the contract documents no such success status for ${op}`);
  }
  if (res.status >= 400) {
    assertErrorBody(res.body, what);
    return;
  }
  const p = pathname.endsWith("/") ? pathname : `${pathname}/`;
  if (method.toUpperCase() === "POST" && p === "/api/v1/exports/") {
    // 201 for a new export (or an Idempotency-Key replay); 200 for the identical export already in flight.
    if (res.status !== 201 && res.status !== 200) throw new Error(`${what}: create answers 201 or 200`);
    assertExportRecord(res.body, what);
    return;
  }
  const operation = `${method.toUpperCase()} ${p}`;
  if (EXTENSION_OPERATIONS.retry.test(operation)) {
    if (res.status !== 200) throw new Error(`${what}: a retry answers 200`);
    assertExportRecord(res.body, what);
    return;
  }
  if (EXTENSION_OPERATIONS.exportEvents.test(operation) || EXTENSION_OPERATIONS.auditEvents.test(operation)) {
    if (res.status !== 200 || !Array.isArray(res.body)) throw new Error(`${what}: not an array of events`);
    for (const event of res.body) exportEventSchema.strict().parse(event);
    return;
  }
  if (method.toUpperCase() === "GET" && RESOURCES.some((r) => r.path === p)) {
    if (!Array.isArray(res.body) || !res.body.every(isObject))
      throw new Error(`${what}: not an array of records`);
    return;
  }
  throw new Error(`${what}: no contract check for this request`);
}

/** Requests through the API door whose answers must satisfy the contract. */
export function contractClient(h: Harness) {
  async function api(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
    const res = await h.call(method, path, options);
    assertContract(method, path, res);
    return res;
  }
  const get = (path: string, user: TestUser | null, options: CallOptions = {}) =>
    api("GET", path, { token: user?.token ?? null, ...options });
  const post = (path: string, user: TestUser | null, options: CallOptions = {}) =>
    api("POST", path, { token: user?.token ?? null, ...options });
  return { api, get, post };
}

export const items = (res: CallResult) => res.body as ExportDto[];
export const ids = (res: CallResult) => items(res).map((e) => e.id);

export const NOT_FOUND = { detail: "Not found." };
export const FORBIDDEN = { detail: "You do not have permission to perform this action." };
export const NOT_PROVIDED = { detail: "Authentication credentials were not provided." };
export const INVALID_TOKEN = { detail: "Invalid token." };
export const POSITIVE = "A valid positive integer is required.";
export const invalidChoice = (param: string, value: string) => ({
  [param]: [`Select a valid choice. ${value} is not one of the available choices.`],
});

export const MISSING_UUID = "6f1c9d3e-2b7a-4c1e-9f00-000000000000";

/**
 * The last test of a contract file: every record its tests left, as the superuser lists them, validates
 * (rows inserted as a worker leaves them included, which no answer of the file may have shown).
 */
export function itSweepsEveryRecord(h: Harness): void {
  const { get } = contractClient(h);
  it("every listed record of every test so far validates (a final sweep as the superuser)", async () => {
    const res = await get("/api/v1/exports/?limit=1000", h.root);
    expect(res.status).toBe(200);
    for (const e of items(res)) assertExportRecord(e);
  });
}
