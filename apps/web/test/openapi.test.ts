import { readFileSync } from "node:fs";
import {
  DEFAULT_LOOKUPS,
  EXPORT_STATUSES,
  exportFilterSpec,
  PAGINATION_PARAMS,
  RESOURCES,
} from "@exports/core";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenApiDocument } from "~/server/rest/openapi/document";
import { GIVEN_OPERATIONS } from "~/server/rest/openapi/given";
import { API_ROUTES, openApiDocument } from "~/server/rest/routes";
import { SEED_OPENAPI_PATH } from "./contract";
import { type Harness, startHarness } from "./harness";

// The OpenAPI document we serve: structurally valid, the given operations exactly as given, and every route
// file documented.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const seedText = readFileSync(SEED_OPENAPI_PATH, "utf8");
const seed = JSON.parse(seedText) as JsonObject;
let doc: OpenApiDocument;
let served: JsonObject;

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function pointer(root: JsonObject, ref: string): Json | undefined {
  if (!ref.startsWith("#/")) return undefined;
  let node: Json | undefined = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** Every `$ref` in a JSON tree, with where it was found. */
function refsOf(node: Json, at = "#"): { ref: string; at: string }[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => refsOf(n, `${at}/${i}`));
  if (!isObject(node)) return [];
  const here = typeof node.$ref === "string" ? [{ ref: node.$ref, at }] : [];
  return [...here, ...Object.entries(node).flatMap(([k, v]) => refsOf(v, `${at}/${k}`))];
}

function deref(root: JsonObject, node: Json | undefined): Json | undefined {
  let n = node;
  for (let i = 0; i < 10 && isObject(n) && typeof n.$ref === "string"; i++) n = pointer(root, n.$ref);
  return n;
}

function operations(d: JsonObject): { path: string; method: string; op: JsonObject }[] {
  const out: { path: string; method: string; op: JsonObject }[] = [];
  for (const [p, item] of Object.entries(d.paths as JsonObject)) {
    for (const [method, op] of Object.entries(item as JsonObject)) {
      if (METHODS.includes(method) && isObject(op)) out.push({ path: p, method, op });
    }
  }
  return out;
}

let h: Harness;

beforeAll(async () => {
  doc = openApiDocument();
  h = await startHarness();
  const res = await h.send("GET", "/api/v1/openapi.json", { token: null });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  served = JSON.parse(await res.text()) as JsonObject;
});

afterAll(async () => {
  await h?.close();
});

describe("GET /api/v1/openapi.json", () => {
  it("serves the document, without authentication", async () => {
    expect(served).toEqual(JSON.parse(JSON.stringify(doc)));
    const res = await h.call("GET", "/api/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body).toEqual(served);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
  });

  it("answers other methods with a JSON 405", async () => {
    const res = await h.call("POST", "/api/v1/openapi.json", { body: {} });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });
});

describe("the document is valid OpenAPI 3 (structurally)", () => {
  it("has the required top-level fields", () => {
    expect(served.openapi).toMatch(/^3\.0\.\d+$/);
    expect(served.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(isObject(served.paths)).toBe(true);
    for (const p of Object.keys(served.paths as JsonObject)) expect(p).toMatch(/^\//);
  });

  it("resolves every $ref", () => {
    const refs = refsOf(served);
    expect(refs.length).toBeGreaterThan(20);
    const broken = refs.filter((r) => pointer(served, r.ref) === undefined);
    expect(broken).toEqual([]);
  });

  it("gives every operation responses, each with a description; operationIds are unique", () => {
    const ids = new Set<string>();
    for (const { path: p, method, op } of operations(served)) {
      const where = `${method.toUpperCase()} ${p}`;
      expect(isObject(op.responses), where).toBe(true);
      const responses = op.responses as JsonObject;
      expect(Object.keys(responses).length, where).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(responses)) {
        expect(status, where).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        const resolved = deref(served, response);
        expect(isObject(resolved) && typeof resolved.description === "string", `${where} ${status}`).toBe(
          true,
        );
      }
      if (typeof op.operationId === "string") {
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
      }
    }
  });

  it("declares every path template parameter, required, and only declared ones", () => {
    for (const { path: p, method, op } of operations(served)) {
      const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const params = ((op.parameters ?? []) as Json[]).map((x) => deref(served, x) as JsonObject);
      for (const param of params) {
        expect(typeof param.name, `${method} ${p}`).toBe("string");
        expect(["query", "header", "path", "cookie"]).toContain(param.in);
        expect(isObject(param.schema) || isObject(param.content), `${method} ${p} ${param.name}`).toBe(true);
      }
      const inPath = params.filter((x) => x.in === "path");
      expect(inPath.map((x) => x.name).sort(), `${method} ${p}`).toEqual([...templated].sort());
      for (const x of inPath) expect(x.required, `${method} ${p} ${x.name}`).toBe(true);
      // Query parameter names are unique per operation.
      const names = params.filter((x) => x.in === "query").map((x) => x.name);
      expect(new Set(names).size, `${method} ${p}`).toBe(names.length);
    }
  });

  it("names only declared security schemes", () => {
    const schemes = Object.keys((served.components as JsonObject).securitySchemes as JsonObject);
    const uses = [
      ...((served.security ?? []) as JsonObject[]),
      ...operations(served).flatMap(({ op }) => (op.security ?? []) as JsonObject[]),
    ];
    for (const use of uses) for (const name of Object.keys(use)) expect(schemes).toContain(name);
  });

  it("compiles every schema (components and inline) as a JSON schema", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const f of ["int32", "binary", "decimal"]) ajv.addFormat(f, true);
    ajv.addSchema({ ...served, $id: "openapi" } as object);
    const schemas = (served.components as JsonObject).schemas as JsonObject;
    for (const name of Object.keys(schemas)) {
      expect(() => ajv.getSchema(`openapi#/components/schemas/${name}`), name).not.toThrow();
    }
  });
});

/**
 * The places where the served document says something else than the seed (changed or removed there; what we add
 * is not listed): exactly the differences the README lists ("The served OpenAPI document"), each deliberate.
 */
const CHANGED_FROM_SEED = [
  "#/info/title",
  "#/components/parameters/id_path/description",
  "#/components/parameters/id_path/schema/type",
  "#/components/parameters/created_date/description",
  "#/components/parameters/status/description",
  "#/components/parameters/status/schema/enum",
  "#/components/parameters/format_type/schema/enum",
  "#/paths/~1api~1v1~1exports~1{id}~1set_cancel~1/post/responses/403/$ref",
];

/** JSON pointers into `given` whose value `ours` changes or lacks; an array `ours` only extends is unchanged. */
function changedPointers(given: Json, ours: Json | undefined, at = "#"): string[] {
  if (Array.isArray(given)) {
    if (!Array.isArray(ours)) return [at];
    const extended = given.every((g, i) => JSON.stringify(g) === JSON.stringify(ours[i]));
    return extended ? [] : [at];
  }
  if (isObject(given)) {
    if (!isObject(ours)) return [at];
    return Object.entries(given).flatMap(([k, v]) =>
      changedPointers(v, ours[k], `${at}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`),
    );
  }
  return JSON.stringify(given) === JSON.stringify(ours) ? [] : [at];
}

describe("the given operations keep their response schemas and describe what we serve", () => {
  it.each(GIVEN_OPERATIONS)("%s %s answers with the given response schemas (byte-identical)", (p, method) => {
    const given = ((seed.paths as JsonObject)[p] as JsonObject)[method] as JsonObject;
    const ours = ((served.paths as JsonObject)[p] as JsonObject)[method] as JsonObject;
    for (const [status, response] of Object.entries(given.responses as JsonObject)) {
      const givenContent = (deref(seed, response) as JsonObject).content;
      const ourContent = (deref(served, (ours.responses as JsonObject)[status]) as JsonObject).content;
      // The given 403 has no body; where the given one has a schema, ours is that schema.
      if (givenContent !== undefined)
        expect(JSON.stringify(ourContent), `${p} ${status}`).toBe(JSON.stringify(givenContent));
    }
  });

  it("keeps the given Export schema, the given responses and the Token scheme byte-identical", () => {
    const given = seed.components as JsonObject;
    const ours = served.components as JsonObject;
    for (const kind of ["schemas", "responses", "securitySchemes"]) {
      for (const [name, value] of Object.entries(given[kind] as JsonObject)) {
        expect(JSON.stringify((ours[kind] as JsonObject)[name]), `${kind}/${name}`).toBe(
          JSON.stringify(value),
        );
      }
    }
    expect(served.security).toEqual(seed.security);
    expect(served.openapi).toBe(seed.openapi);
  });

  it("differs from the given text only where the README says", () => {
    expect(changedPointers(seed, served)).toEqual(CHANGED_FROM_SEED);
  });

  it("types the id as what it is: a UUID string (the seed says integer)", () => {
    const idPath = (served.components as JsonObject).parameters as JsonObject;
    expect((idPath.id_path as JsonObject).schema).toEqual({ type: "string", format: "uuid" });
    for (const { path: p, method, op } of operations(served)) {
      if (!p.includes("{id}")) continue;
      const id = ((op.parameters ?? []) as Json[])
        .map((x) => deref(served, x) as JsonObject)
        .find((x) => x.in === "path");
      expect(id?.schema, `${method} ${p}`).toEqual({ type: "string", format: "uuid" });
    }
  });

  it("lists the choices the list accepts: every status plus pending, the formats we produce", () => {
    const params = (served.components as JsonObject).parameters as JsonObject;
    expect(((params.status as JsonObject).schema as JsonObject).enum).toEqual([
      ...EXPORT_STATUSES,
      "pending",
    ]);
    expect(((params.format_type as JsonObject).schema as JsonObject).enum).toEqual(["csv", "xls", "json"]);
  });

  it("declares exactly the query parameters the list accepts, and the list accepts each with its example value", async () => {
    const op = ((served.paths as JsonObject)["/api/v1/exports/"] as JsonObject).get as JsonObject;
    const params = ((op.parameters ?? []) as Json[]).map((x) => deref(served, x) as JsonObject);
    const expected = [
      ...Object.entries(exportFilterSpec).flatMap(([field, filter]) =>
        (filter.lookups ?? DEFAULT_LOOKUPS[filter.kind]).map((l) =>
          l === "exact" ? field : `${field}__${l}`,
        ),
      ),
      ...PAGINATION_PARAMS,
    ];
    expect(params.map((x) => x.name).sort()).toEqual([...expected].sort());
    expect(expected).toEqual(
      expect.arrayContaining([
        "status__in",
        "format_type__in",
        "created_date__gte",
        "created_date__date",
        "created_date__date__lte",
        "limit",
        "page",
        "ordering",
      ]),
    );
    // Each, with a value of its schema, is a filter the list takes (200), never a 400.
    const sample = (schema: JsonObject): string => {
      if (Array.isArray(schema.enum)) return String(schema.enum.at(-1));
      if (schema.example !== undefined) return String(schema.example);
      if (schema.format === "date-time") return "2025-01-31T12:00:00Z";
      if (schema.type === "integer") return String(schema.default ?? 1);
      return "x";
    };
    for (const x of params) {
      const query = `${x.name}=${encodeURIComponent(sample(x.schema as JsonObject))}`;
      const res = await h.call("GET", `/api/v1/exports/?${query}`, { token: h.alice.token });
      expect(res.status, query).toBe(200);
    }
    const listed = ((op.responses as JsonObject)["200"] as JsonObject).headers as JsonObject;
    expect(Object.keys(listed)).toEqual(expect.arrayContaining(["X-Total-Count", "Link"]));
  });

  it("names every operation (operationId) and says where the API is (servers)", () => {
    for (const { path: p, method, op } of operations(served)) {
      expect(op.operationId, `${method} ${p}`).toMatch(/^[a-z_]+$/);
    }
    expect(served.servers).toEqual([{ url: "/", description: expect.any(String) }]);
  });

  it("leaves the seed file itself unchanged by building", () => {
    expect(readFileSync(SEED_OPENAPI_PATH, "utf8")).toBe(seedText);
  });
});

/** The REST paths the API door serves (the route table), with their methods. */
const restRoutes = () => API_ROUTES.filter((r) => r.path.startsWith("/api/v1/"));

describe("every route is documented", () => {
  it("has a path for every REST route of the API door", () => {
    const routes = restRoutes()
      .map((r) => r.path)
      .sort();
    expect(routes).toEqual(
      expect.arrayContaining([
        "/api/v1/exports/",
        "/api/v1/exports/{id}/",
        "/api/v1/exports/{id}/download/",
        "/api/v1/exports/{id}/set_cancel/",
        "/api/v1/openapi.json",
        "/api/v1/orders/",
        "/api/v1/products/",
      ]),
    );
    const documented = Object.keys(served.paths as JsonObject);
    expect(routes.filter((r) => !documented.includes(r))).toEqual([]);
    // …and documents nothing that no route serves.
    expect(documented.filter((d) => !routes.includes(d))).toEqual([]);
  });

  it("documents exactly the methods each route serves", () => {
    for (const r of restRoutes()) {
      const item = (served.paths as JsonObject)[r.path] as JsonObject;
      const documented = Object.keys(item)
        .filter((k) => METHODS.includes(k))
        .map((k) => k.toUpperCase())
        .sort();
      expect(documented, r.path).toEqual(Object.keys(r.endpoint).sort());
    }
  });

  it("documents POST /api/v1/exports/ with a JSON and a multipart body from the shared zod schema", () => {
    const create = ((served.paths as JsonObject)["/api/v1/exports/"] as JsonObject).post as JsonObject;
    const content = (create.requestBody as JsonObject).content as JsonObject;
    expect(Object.keys(content)).toEqual(["application/json", "multipart/form-data"]);
    const body = deref(served, (content["application/json"] as JsonObject).schema) as JsonObject;
    expect(body.required).toEqual(["request_path"]);
    expect(Object.keys(body.properties as JsonObject)).toEqual([
      "request_path",
      "request_fields",
      "format_type",
      "language",
      "action_name",
      "options",
    ]);
    expect((body.properties as JsonObject).format_type).toMatchObject({ enum: ["csv", "xls", "json"] });
    // Issue 17's options: each key with its values, none other.
    expect((body.properties as JsonObject).options).toMatchObject({
      type: "object",
      additionalProperties: false,
      properties: { delimiter: { enum: [",", ";", "\t"] }, compression: { enum: ["none", "gzip"] } },
    });
    const multipart = deref(served, (content["multipart/form-data"] as JsonObject).schema) as JsonObject;
    expect((multipart.properties as JsonObject).filter_file).toMatchObject({
      type: "string",
      format: "binary",
    });
    expect(Object.keys(create.responses as JsonObject).sort()).toEqual(
      ["200", "201", "400", "401", "403", "409", "413", "415", "429", "503"].sort(),
    );
  });

  it("documents every filter of every resource list, with each of its lookups", () => {
    for (const resource of RESOURCES) {
      const op = ((served.paths as JsonObject)[resource.path] as JsonObject).get as JsonObject;
      const names = ((op.parameters ?? []) as Json[]).map((x) => (deref(served, x) as JsonObject).name);
      for (const field of resource.fields) {
        if (!field.filter) {
          expect(names, `${resource.key}.${field.name}`).not.toContain(field.name);
          continue;
        }
        expect(names, `${resource.key}.${field.name}`).toContain(field.name);
      }
      expect(names).toEqual(expect.arrayContaining(["limit", "page", "ordering"]));
      const headers = (((op.responses as JsonObject)["200"] as JsonObject).headers ?? {}) as JsonObject;
      expect(Object.keys(headers).sort()).toEqual(["Link", "X-Total-Count"]);
    }
    const products = ((served.paths as JsonObject)["/api/v1/products/"] as JsonObject).get as JsonObject;
    const names = ((products.parameters ?? []) as Json[]).map((x) => (deref(served, x) as JsonObject).name);
    expect(names).toEqual(
      expect.arrayContaining([
        "price__gte",
        "name__icontains",
        "is_active",
        "created_date__date__lte",
        "sku__in",
      ]),
    );
    expect(names).not.toContain("is_active__in");
  });

  it("describes the real answers: a resource page and a field-error body validate against their schemas", async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const f of ["int32", "binary", "decimal"]) ajv.addFormat(f, true);
    ajv.addSchema({ ...served, $id: "openapi" } as object);
    const { seedProducts } = await import("@exports/core/testing");
    await seedProducts(h.db, 5);
    for (const resource of RESOURCES) {
      const res = await h.call("GET", resource.path, { token: h.alice.token });
      expect(res.status).toBe(200);
      const name = resource.viewset.replace(/ViewSet$/, "");
      const validate = ajv.compile({ type: "array", items: { $ref: `openapi#/components/schemas/${name}` } });
      expect(validate(res.body), JSON.stringify(validate.errors)).toBe(true);
    }
    const bad = await h.call("POST", "/api/v1/exports/", {
      token: h.alice.token,
      body: { request_path: "/api/v1/nope/", format_type: "xml" },
    });
    expect(bad.status).toBe(400);
    const fieldErrors = ajv.getSchema("openapi#/components/schemas/FieldErrors");
    expect(fieldErrors?.(bad.body), JSON.stringify(fieldErrors?.errors)).toBe(true);
    const unauth = await h.call("GET", "/api/v1/products/");
    expect(ajv.getSchema("openapi#/components/schemas/ErrorDetail")?.(unauth.body)).toBe(true);
  });
});
