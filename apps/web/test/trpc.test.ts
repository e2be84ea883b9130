import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  type Actor,
  cancelExport,
  createDatabase,
  type Db,
  DomainError,
  type ExportDto,
  findExport,
  getResource,
  LocalStorage,
  listExports,
  listResource,
} from "@exports/core";
import { createTestExport, seedProducts } from "@exports/core/testing";
import { getTRPCErrorShape, TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import type { TRPCContext } from "~/server/trpc/init";
import { appRouter, createCaller } from "~/server/trpc/root";
import { assertContract, assertExportRecord } from "./contract";
import { type CallOptions, callerContext, type Harness, startHarness, type TestUser } from "./harness";

const testStorage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-trpc-storage-")));

// The tRPC twins: the same services as REST (DESIGN: one service layer, three doors), errors mapped once.

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await seedProducts(h.db, 25);
});

afterAll(async () => {
  await h?.close();
});

const ctxFor = (user: TestUser | Actor): TRPCContext =>
  callerContext(h.db, testStorage, "actor" in user ? user.actor : user);
const callerFor = (user: TestUser) => createCaller(ctxFor(user));

async function rest(method: string, path: string, options: CallOptions = {}) {
  const res = await h.call(method, path, options);
  assertContract(method, path, res);
  return res;
}

/** The error a call rejects with (fails the test if it resolves). */
async function errorOf(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(TRPCError);
    return err as TRPCError;
  }
  throw new Error("expected the call to fail");
}

/** The shape the HTTP adapter would send for an error: through the router's own errorFormatter. */
function shapeOf(error: TRPCError, path: string, type: "query" | "mutation" = "query") {
  return getTRPCErrorShape({
    config: appRouter._def._config,
    error,
    type,
    path,
    input: undefined,
    ctx: undefined,
  });
}

function domainCauseOf(error: TRPCError): DomainError {
  expect(error.cause).toBeInstanceOf(DomainError);
  return error.cause as DomainError;
}

describe("exports.list / get", () => {
  let ids: string[];

  beforeAll(async () => {
    const rows = await h.insertExports(h.alice, [
      { status: "waiting", createdDate: new Date("2025-05-01T00:00:00Z") },
      { status: "processing", createdDate: new Date("2025-05-02T00:00:00Z"), formatType: "json" },
      { status: "completed", createdDate: new Date("2025-05-03T00:00:00Z"), resultFile: "/r.csv" },
    ]);
    ids = rows.map((r) => r.id);
    await h.insertExport(h.bob, { status: "failed", errorMessage: "boom" });
  });

  it.each<[string, Record<string, string | number>]>([
    ["no filter", {}],
    ["pending", { status: "pending" }],
    ["a page", { limit: 2, page: 2 }],
    ["format and date", { format_type: "json", created_date__date__gte: "2025-05-02" }],
    ["oldest first", { ordering: "created_date" }],
  ])("list (%s) is the service's page, and the REST door's body and headers", async (_label, query) => {
    for (const user of [h.alice, h.bob, h.root]) {
      const viaTrpc = await callerFor(user).exports.list(query);
      const viaService = await listExports(h.db, user.actor, query);
      expect(viaTrpc).toEqual(viaService);
      for (const e of viaTrpc.items) assertExportRecord(e);
      const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
      const res = await rest("GET", `/api/v1/exports/?${qs}`, { token: user.token });
      expect(res.body).toEqual(viaTrpc.items);
      expect(Number(res.headers.get("x-total-count"))).toBe(viaTrpc.total);
    }
  });

  it("list without input is the default page", async () => {
    const page = await callerFor(h.alice).exports.list();
    expect(page).toMatchObject({ total: 3, page: 1, limit: 100 });
    expect(page.items.map((e) => e.id)).toEqual([...ids].reverse());
  });

  it("list refuses bad filters with BAD_REQUEST and the REST door's field errors", async () => {
    const query = { status: "bogus", created_date__gt: "yesterday" };
    const error = await errorOf(callerFor(h.alice).exports.list(query));
    expect(error.code).toBe("BAD_REQUEST");
    expect(domainCauseOf(error).code).toBe("INVALID");
    const res = await rest("GET", `/api/v1/exports/?${new URLSearchParams(query)}`, { token: h.alice.token });
    expect(res.status).toBe(400);
    const shape = shapeOf(error, "exports.list");
    expect(shape.data.fieldErrors).toEqual(res.body);
    expect(shape.data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400, domainCode: "INVALID" });
  });

  it("get is the service's record and the REST door's body", async () => {
    for (const id of ids) {
      const viaTrpc = await callerFor(h.alice).exports.get({ id });
      expect(viaTrpc).toEqual(await findExport(h.db, h.alice.actor, id));
      expect(viaTrpc).toEqual((await rest("GET", `/api/v1/exports/${id}/`, { token: h.alice.token })).body);
      expect(await callerFor(h.root).exports.get({ id })).toEqual(viaTrpc);
    }
  });

  it.each(["other", "abc", "123", "6f1c9d3e-2b7a-4c1e-9f00-000000000000"])(
    "get answers NOT_FOUND for %s, as REST answers 404",
    async (kind) => {
      const id = kind === "other" ? (ids[0] ?? "") : kind;
      const error = await errorOf(callerFor(h.bob).exports.get({ id }));
      expect(error.code).toBe("NOT_FOUND");
      expect(error.message).toBe("Not found.");
      expect(domainCauseOf(error).code).toBe("NOT_FOUND");
      expect(shapeOf(error, "exports.get").data).toMatchObject({ httpStatus: 404, domainCode: "NOT_FOUND" });
      const res = await rest("GET", `/api/v1/exports/${id}/`, { token: h.bob.token });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: error.message });
    },
  );
});

describe("exports.create", () => {
  it("creates the same record the REST door creates, owned by the caller", async () => {
    const input = {
      request_path: "/api/v1/products/?is_active=true",
      request_fields: ["sku", "name"],
      format_type: "xls" as const,
      language: "tr" as const,
    };
    const viaTrpc = await callerFor(h.alice).exports.create(input);
    assertExportRecord(viaTrpc);
    // The same request again while the first is in flight is that export (no second one is started).
    const viaRest = (await rest("POST", "/api/v1/exports/", { token: h.alice.token, body: input }))
      .body as ExportDto;
    const viaService = await createTestExport(h.db, h.alice.actor, input);
    expect(viaRest.id).toBe(viaTrpc.id);
    expect(viaService.id).toBe(viaTrpc.id);
    for (const other of [viaRest, viaService]) expect(other).toEqual(viaTrpc);
    expect(viaTrpc).toMatchObject({ requested_by: h.alice.id, status: "waiting", viewset: "ProductViewSet" });
    expect((await rest("GET", `/api/v1/exports/${viaTrpc.id}/`, { token: h.alice.token })).body).toEqual(
      viaTrpc,
    );
  });

  const invalid: [string, Record<string, unknown>][] = [
    ["an unknown path", { request_path: "/api/v1/customers/" }],
    ["a URL", { request_path: "https://evil.example/api/v1/products/" }],
    ["an unknown filter", { request_path: "/api/v1/products/?colour=red" }],
    ["an unknown field", { request_path: "/api/v1/products/", request_fields: ["nope"] }],
    ["a duplicate field", { request_path: "/api/v1/products/", request_fields: ["sku", "sku"] }],
    ["a bad format", { request_path: "/api/v1/products/", format_type: "xml" }],
    ["a bad language", { request_path: "/api/v1/products/", language: "de" }],
    ["a missing request_path", {}],
    ["a NUL character", { request_path: "/api/v1/products/", action_name: "a\u0000" }],
    [
      "several problems at once",
      { request_path: "/api/v1/customers/", format_type: "pdf", request_fields: "sku" },
    ],
    [
      "a bad format and an unknown field (issue 12)",
      { request_path: "/api/v1/products/", request_fields: ["nope"], format_type: "pdf" },
    ],
  ];

  it.each(invalid)("refuses %s with BAD_REQUEST and the REST door's field errors", async (_label, input) => {
    const before = await h.countExports(h.alice);
    const error = await errorOf(callerFor(h.alice).exports.create(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    // The service validates (every problem at once), not a schema in front of it.
    expect(domainCauseOf(error).code).toBe("INVALID");
    const shape = shapeOf(error, "exports.create", "mutation");
    expect(shape.data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400 });
    expect(shape.data.stack).toBeUndefined();
    const res = await rest("POST", "/api/v1/exports/", { token: h.alice.token, body: input });
    expect(res.status).toBe(400);
    expect(shape.data.fieldErrors).toEqual(res.body);
    expect(await h.countExports(h.alice)).toBe(before);
  });

  it("reports the format and the unknown field in one error (issue 12)", async () => {
    const input = { request_path: "/api/v1/products/", request_fields: ["nope"], format_type: "pdf" };
    const error = await errorOf(callerFor(h.alice).exports.create(input as never));
    const fieldErrors = shapeOf(error, "exports.create", "mutation").data.fieldErrors;
    expect(Object.keys(fieldErrors ?? {}).sort()).toEqual(["format_type", "request_fields"]);
  });

  it("refuses an input that is not an object with BAD_REQUEST", async () => {
    for (const input of [null, [], "x", 1]) {
      const error = await errorOf(callerFor(h.alice).exports.create(input as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.cause).toBeInstanceOf(ZodError);
      expect(shapeOf(error, "exports.create", "mutation").data.stack).toBeUndefined();
    }
  });
});

describe("exports.cancel", () => {
  it("cancels an unfinished export for a superuser, as the service and REST do", async () => {
    const [a, b] = await h.insertExports(h.bob, [{ status: "processing" }, { status: "waiting_next_page" }]);
    if (!a || !b) throw new Error("no rows");
    const viaTrpc = await callerFor(h.root).exports.cancel({ id: a.id });
    assertExportRecord(viaTrpc);
    expect(viaTrpc.status).toBe("cancelled");
    expect(viaTrpc).toEqual(await findExport(h.db, h.root.actor, a.id));
    // idempotent, equal to what the service and the REST door answer for a cancelled export
    expect(await callerFor(h.root).exports.cancel({ id: a.id })).toEqual(viaTrpc);
    expect(await cancelExport(h.db, h.root.actor, a.id)).toEqual(viaTrpc);
    const res = await rest("POST", `/api/v1/exports/${a.id}/set_cancel/`, { token: h.root.token });
    expect(res.body).toEqual(viaTrpc);
    const viaRest = await rest("POST", `/api/v1/exports/${b.id}/set_cancel/`, { token: h.root.token });
    expect((viaRest.body as ExportDto).status).toBe("cancelled");
  });

  it("is FORBIDDEN for a regular user, whatever the id (checked before the lookup)", async () => {
    const row = await h.insertExport(h.alice, { status: "waiting" });
    for (const id of [row.id, "abc", "6f1c9d3e-2b7a-4c1e-9f00-000000000000"]) {
      const error = await errorOf(callerFor(h.alice).exports.cancel({ id }));
      expect(error.code).toBe("FORBIDDEN");
      expect(error.message).toBe("You do not have permission to perform this action.");
      expect(domainCauseOf(error).code).toBe("FORBIDDEN");
      expect(shapeOf(error, "exports.cancel", "mutation").data).toMatchObject({ httpStatus: 403 });
    }
    expect(await h.findExport(row.id)).toEqual(row);
  });

  it.each(["completed", "failed"] as const)(
    "is CONFLICT for a %s export, changing nothing",
    async (status) => {
      const row = await h.insertExport(h.alice, { status });
      const error = await errorOf(callerFor(h.root).exports.cancel({ id: row.id }));
      expect(error.code).toBe("CONFLICT");
      expect(error.message).toBe(`Export is already ${status}.`);
      expect(domainCauseOf(error).code).toBe("CONFLICT");
      expect(shapeOf(error, "exports.cancel", "mutation").data).toMatchObject({
        httpStatus: 409,
        domainCode: "CONFLICT",
      });
      const res = await rest("POST", `/api/v1/exports/${row.id}/set_cancel/`, { token: h.root.token });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ detail: error.message });
      expect(await h.findExport(row.id)).toEqual(row);
    },
  );

  it("is NOT_FOUND for a superuser and an unknown or malformed id", async () => {
    for (const id of ["abc", "6f1c9d3e-2b7a-4c1e-9f00-000000000000"]) {
      expect((await errorOf(callerFor(h.root).exports.cancel({ id }))).code).toBe("NOT_FOUND");
    }
  });
});

describe("products.list", () => {
  it.each<Record<string, string | number>>([
    {},
    { is_active: "true", limit: 5, page: 2 },
    { currency__in: "USD,EUR", ordering: "-id" },
    { name__icontains: "mug" },
  ])("is the service's page and the REST door's body (%o)", async (query) => {
    const viaTrpc = await callerFor(h.bob).products.list(query);
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    expect(viaTrpc).toEqual(await listResource(h.db, getResource("products"), Object.fromEntries(qs)));
    const res = await rest("GET", `/api/v1/products/?${qs}`, { token: h.bob.token });
    expect(res.body).toEqual(viaTrpc.items);
    expect(Number(res.headers.get("x-total-count"))).toBe(viaTrpc.total);
    expect(viaTrpc.items.length).toBeGreaterThan(0);
  });

  it("refuses an unknown filter with BAD_REQUEST", async () => {
    const error = await errorOf(callerFor(h.bob).products.list({ colour: "red" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(shapeOf(error, "products.list").data.fieldErrors).toEqual({ colour: ["Unknown filter."] });
  });
});

describe("authentication", () => {
  const anonymous = () => createCaller(callerContext(h.db, testStorage, null));

  it("maps the domain's UNAUTHENTICATED to UNAUTHORIZED on every procedure, before validating input", async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ["exports.list", () => anonymous().exports.list({ status: "bogus" })],
      ["exports.get", () => anonymous().exports.get({ id: "abc" })],
      ["exports.create", () => anonymous().exports.create({ request_path: "/nope/" })],
      ["exports.cancel", () => anonymous().exports.cancel({ id: "abc" })],
      ["products.list", () => anonymous().products.list({ colour: "red" })],
    ];
    for (const [path, call] of calls) {
      const error = await errorOf(call());
      expect(error.code, path).toBe("UNAUTHORIZED");
      expect(error.message).toBe("Authentication credentials were not provided.");
      expect(domainCauseOf(error).code).toBe("UNAUTHENTICATED");
      expect(shapeOf(error, path).data).toMatchObject({ httpStatus: 401, domainCode: "UNAUTHENTICATED" });
    }
    expect(await h.countExports()).toBeGreaterThan(0);
  });

  it("keeps a genuine bug's message out of the error shape", async () => {
    const broken = new Proxy({} as Db, {
      get() {
        throw new Error('relation "secret_table" does not exist (select password from secret_table)');
      },
    });
    const error = await errorOf(
      createCaller(callerContext(broken, testStorage, h.root.actor)).exports.list(),
    );
    expect(error.code).toBe("INTERNAL_SERVER_ERROR");
    const shape = shapeOf(error, "exports.list");
    expect(shape.message).toBe("A server error occurred.");
    expect(JSON.stringify(shape)).not.toMatch(/secret_table|password/);
    expect(shape.data.stack).toBeUndefined();
  });

  it("reports an unreachable database as the domain's UNAVAILABLE", async () => {
    const down = createDatabase("postgres://postgres@127.0.0.1:1/nothing", { max: 1 });
    try {
      const error = await errorOf(
        createCaller(callerContext(down.db, testStorage, h.root.actor)).exports.list(),
      );
      expect(domainCauseOf(error).code).toBe("UNAVAILABLE");
      const shape = shapeOf(error, "exports.list");
      expect(shape.message).toBe("The database is unavailable. Try again in a moment.");
      expect(shape.data.domainCode).toBe("UNAVAILABLE");
      // The same wait as the REST 503's Retry-After.
      expect(shape.data.retryAfter).toBe(5);
    } finally {
      await down.close();
    }
  });
});

describe("the fetch adapter route (/api/trpc)", () => {
  const input = (value: unknown) => `input=${encodeURIComponent(JSON.stringify(value))}`;

  it("answers a query with a token: 200 with the service's page", async () => {
    const res = await h.call("GET", `/api/trpc/exports.list?${input({ limit: 5 })}`, { token: h.root.token });
    expect(res.status).toBe(200);
    const data = (res.body as { result: { data: unknown } }).result.data;
    expect(data).toEqual(await listExports(h.db, h.root.actor, { limit: 5 }));
  });

  it("answers without a token: 401 JSON, no stack trace", async () => {
    const res = await h.call("GET", `/api/trpc/exports.list?${input({})}`, { token: null });
    expect(res.status).toBe(401);
    const body = res.body as { error: { message: string; data: Record<string, unknown> } };
    expect(body.error.message).toBe("Authentication credentials were not provided.");
    expect(body.error.data).toMatchObject({
      code: "UNAUTHORIZED",
      httpStatus: 401,
      path: "exports.list",
      domainCode: "UNAUTHENTICATED",
    });
    expect(body.error.data).not.toHaveProperty("stack");
    expect(res.text).not.toMatch(/"stack"|\bat .+:\d+:\d+|node_modules/);
  });

  it("answers an unknown key with 401 Invalid token.", async () => {
    const res = await h.call("GET", `/api/trpc/exports.list?${input({})}`, { token: "0".repeat(40) });
    expect(res.status).toBe(401);
    expect((res.body as { error: { message: string } }).error.message).toBe("Invalid token.");
  });

  it("maps domain errors to HTTP statuses, with field errors for a bad create", async () => {
    const created = await h.call("POST", "/api/trpc/exports.create", {
      token: h.alice.token,
      body: { request_path: "/api/v1/products/" },
    });
    expect(created.status).toBe(200);
    const record = (created.body as { result: { data: ExportDto } }).result.data;
    assertExportRecord(record);

    const hidden = await h.call("GET", `/api/trpc/exports.get?${input({ id: record.id })}`, {
      token: h.bob.token,
    });
    expect(hidden.status).toBe(404);

    const forbidden = await h.call("POST", "/api/trpc/exports.cancel", {
      token: h.alice.token,
      body: { id: record.id },
    });
    expect(forbidden.status).toBe(403);

    const bad = await h.call("POST", "/api/trpc/exports.create", {
      token: h.alice.token,
      body: { request_path: "/api/v1/customers/" },
    });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { data: { fieldErrors: unknown } } }).error.data.fieldErrors).toEqual({
      request_path: [
        'Unknown resource path "/api/v1/customers/". Exportable lists: /api/v1/products/, /api/v1/orders/.',
      ],
    });
    expect(bad.text).not.toMatch(/"stack"/);
  });
});

describe("the fetch adapter refuses hostile requests with JSON, before parsing (issue 12)", () => {
  const MB = 1024 * 1024;
  const errorOfBody = (body: unknown) =>
    (body as { error: { message: string; data: Record<string, unknown> } }).error;

  it("answers 413 to a 150 MB anonymous sign-in without reading it (streamed, no length)", async () => {
    const total = 150 * MB;
    const chunk = new Uint8Array(256 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"username":"x","password":"'));
        if (sent >= total) controller.close();
        else controller.enqueue(chunk);
        sent += chunk.byteLength;
      },
    });
    const res = await h.call("POST", "/api/trpc/auth.signIn", {
      token: null,
      rawBody: stream,
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(413);
    const error = errorOfBody(res.body);
    expect(error.message).toBe(`Request body is larger than ${MB} bytes.`);
    expect(error.data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413 });
    expect(sent).toBeLessThan(4 * MB);
  });

  it("answers 413 at once to a declared Content-Length over the limit", async () => {
    const res = await h.call("POST", "/api/trpc/auth.signIn", {
      token: null,
      rawBody: '{"username":"x","password":"y"}',
      headers: { "Content-Type": "application/json", "Content-Length": String(MB + 1) },
    });
    expect(res.status).toBe(413);
    expect(errorOfBody(res.body).data).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  });

  it("refuses a batch of more than TRPC_MAX_BATCH_SIZE calls, running none", async () => {
    const paths = Array.from({ length: 1000 }, () => "products.list").join(",");
    const res = await h.call("GET", `/api/trpc/${paths}?batch=1&input=%7B%7D`, { token: h.alice.token });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/Batch call exceeds maximum size/);
    const ten = Array.from({ length: 10 }, () => "products.list").join(",");
    const ok = await h.call("GET", `/api/trpc/${ten}?batch=1&input=%7B%7D`, { token: h.alice.token });
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveLength(10);
  });

  it.each([
    ["malformed JSON", '{"username": ', undefined],
    ["a batch whose input is not an object", "[1,2]", "?batch=1"],
    ["JSON of the wrong shape", '{"username": 5, "password": ["x"]}', undefined],
  ])("answers %s with a JSON 400 and no zod dump", async (_label, body, query) => {
    const res = await h.call("POST", `/api/trpc/auth.signIn${query ?? ""}`, {
      token: null,
      rawBody: body,
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/invalid_type|"code":\s*"invalid|"path":\s*\[|"expected"/);
    expect(res.text).not.toMatch(/"stack"|\bat .+:\d+:\d+|node_modules/);
  });

  it("turns an input that fails its schema into the REST field-error shape", async () => {
    const res = await h.call("GET", `/api/trpc/exports.get?input=${encodeURIComponent('{"id":5}')}`, {
      token: h.alice.token,
    });
    expect(res.status).toBe(400);
    const error = errorOfBody(Array.isArray(res.body) ? res.body[0] : res.body);
    expect(error.message).toBe("Invalid input.");
    expect(error.data.fieldErrors).toEqual({ id: [expect.any(String)] });
  });

  it.each([
    ["POST", "/api/trpc/auth.signIn", "text/plain", "x"],
    ["GET", "/api/trpc/auth.signIn", undefined, undefined],
    ["GET", "/api/trpc/nope.nothing", undefined, undefined],
    ["GET", `/api/trpc/exports.list?input=${encodeURIComponent("{nope")}`, undefined, undefined],
  ])("answers %s %s (%s) with a JSON 4xx", async (method, path, type, body) => {
    const res = await h.call(method, path, {
      token: h.alice.token,
      rawBody: body,
      headers: type ? { "Content-Type": type } : {},
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toMatch(/"stack"|\bat .+:\d+:\d+|node_modules/);
  });
});
