import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ExportDto, ExportEventDto } from "@exports/core";
import { DEFAULT_ENGINE_CONFIG, LocalStorage, runOnce } from "@exports/core/node";
import { seedProducts } from "@exports/core/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "~/server/rest/routes";
import { createCaller } from "~/server/trpc/root";
import { contractClient, FORBIDDEN, MISSING_UUID, NOT_FOUND } from "./contract";
import { callerContext, fileHarness } from "./harness";
import { assertServedAnswer } from "./served-schema";

// Issue 17 over REST and tRPC: retry of a failed export, its partial download, the audit trail.

// The routes find their storage through getStorage() (STORAGE_DIR, read once by env()).
const STORAGE_DIR = mkdtempSync(path.join(os.tmpdir(), "exports-web-retry-"));
process.env.STORAGE_DIR = STORAGE_DIR;
const storage = new LocalStorage(STORAGE_DIR);

const h = fileHarness();
const { api } = contractClient(h);

beforeAll(async () => {
  await seedProducts(h.db, 300);
});

afterAll(async () => {
  await rm(STORAGE_DIR, { recursive: true, force: true });
});

/** Runs the engine in-process until nothing is runnable; `failAtPage`: a step throws after that page's record. */
async function drain(failAtPage?: number) {
  let recorded = 0;
  const deps = {
    db: h.db,
    pool: h.testDb.pool,
    storage,
    config: { ...DEFAULT_ENGINE_CONFIG, pageSize: 100, runPages: 8, maxAttempts: 1, backoffMs: 1 },
    faults: (point: string) => {
      if (point === "page.recorded" && ++recorded === failAtPage) throw new Error("injected failure");
    },
  };
  for (let i = 0; i < 1000; i++) if (!(await runOnce(deps, `web-retry:${i}`))) return;
  throw new Error("the engine did not finish");
}

async function failedExport(): Promise<ExportDto> {
  const res = await api("POST", "/api/v1/exports/", {
    token: h.alice.token,
    body: { request_path: "/api/v1/products/", request_fields: ["id", "sku"], format_type: "json" },
  });
  expect(res.status).toBe(201);
  await drain(2);
  const row = await h.findExport((res.body as ExportDto).id);
  expect(row).toMatchObject({ status: "failed", collectedCount: 200 });
  return res.body as ExportDto;
}

describe("a failed export: partial download, retry, the trail", () => {
  it("offers what it collected, retries from its last page, and records every step", async () => {
    const e = await failedExport();
    const download = `/api/v1/exports/${e.id}/download/`;

    // The whole file does not exist: 409; what was collected: 200, named partial, whole pages.
    const whole = await api("GET", download, { token: h.alice.token });
    expect(whole.status).toBe(409);
    const partial = await h.send("GET", `${download}?partial=true`, { token: h.alice.token });
    expect(partial.status).toBe(200);
    expect(partial.headers.get("content-disposition")).toMatch(/-partial\.json"/);
    const rows = JSON.parse(await partial.text()) as { id: number }[];
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const ranged = await h.send("GET", `${download}?partial=true`, {
      token: h.alice.token,
      headers: { Range: "bytes=0-9" },
    });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toHaveLength(10);
    expect((await h.send("HEAD", `${download}?partial=true`, { token: h.alice.token })).status).toBe(200);
    const bad = await api("GET", `${download}?partial=perhaps`, { token: h.alice.token });
    expect(bad).toMatchObject({ status: 400, body: { partial: ["Must be a valid boolean."] } });
    expect((await api("GET", `${download}?partial=true`, { token: h.bob.token })).status).toBe(404);

    // Retry: others 404, a non-UUID 404, the owner 200 (the record, runnable again), then 409.
    const retry = `/api/v1/exports/${e.id}/retry/`;
    expect(await api("POST", retry, { token: h.bob.token })).toMatchObject({ status: 404, body: NOT_FOUND });
    expect((await api("POST", "/api/v1/exports/nope/retry/", { token: h.alice.token })).status).toBe(404);
    expect(
      (await api("POST", `/api/v1/exports/${MISSING_UUID}/retry/`, { token: h.root.token })).status,
    ).toBe(404);
    expect((await api("POST", retry, { token: null })).status).toBe(401);
    const retried = await api("POST", retry, { token: h.alice.token });
    expect(retried.status).toBe(200);
    assertServedAnswer("/api/v1/exports/{id}/retry/", "post", 200, retried.body);
    expect(retried.body).toMatchObject({
      id: e.id,
      status: "waiting_next_page",
      error_message: null,
      collected_count: 200,
      page: 3,
    });
    const again = await api("POST", retry, { token: h.alice.token });
    expect(again.status).toBe(409);
    assertServedAnswer("/api/v1/exports/{id}/retry/", "post", 409, again.body);
    expect((await api("GET", `${download}?partial=true`, { token: h.alice.token })).status).toBe(409);

    await drain();
    const done = await h.send("GET", download, { token: h.alice.token });
    expect(done.status).toBe(200);
    const all = JSON.parse(await done.text()) as { id: number }[];
    expect(all.map((r) => r.id)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));

    // The trail, as the owner and a superuser see it; nobody else.
    const events = await api("GET", `/api/v1/exports/${e.id}/events/`, { token: h.alice.token });
    expect(events.status).toBe(200);
    assertServedAnswer("/api/v1/exports/{id}/events/", "get", 200, events.body);
    const trail = events.body as ExportEventDto[];
    expect(trail.map((ev) => [ev.type, ev.actor_username])).toEqual([
      ["created", "alice"],
      ["started", null],
      ["failed", null],
      ["downloaded", "alice"],
      ["downloaded", "alice"],
      ["retried", "alice"],
      ["completed", null],
      ["downloaded", "alice"],
    ]);
    expect(trail[2]?.detail).toMatchObject({ message: "injected failure", collected_count: 200 });
    expect(trail[3]?.detail).toMatchObject({ status: 200, range: null, partial: true });
    expect(trail[4]?.detail).toEqual({
      status: 206,
      range: "bytes=0-9",
      bytes: 10,
      size: trail[3]?.detail.bytes,
      partial: true,
    });
    expect(trail[7]?.detail).toMatchObject({ status: 200, range: null, partial: false });
    expect((await api("GET", `/api/v1/exports/${e.id}/events/`, { token: h.root.token })).body).toEqual(
      trail,
    );
    expect(await api("GET", `/api/v1/exports/${e.id}/events/`, { token: h.bob.token })).toMatchObject({
      status: 404,
      body: NOT_FOUND,
    });
    expect((await api("GET", "/api/v1/exports/nope/events/", { token: h.alice.token })).status).toBe(404);
  });

  it("a retry of an export in any other state is a 409", async () => {
    const res = await api("POST", "/api/v1/exports/", {
      token: h.alice.token,
      body: { request_path: "/api/v1/products/?id__lte=5", format_type: "csv" },
    });
    const id = (res.body as ExportDto).id;
    expect((await api("POST", `/api/v1/exports/${id}/retry/`, { token: h.alice.token })).status).toBe(409);
    await drain();
    const completed = await api("POST", `/api/v1/exports/${id}/retry/`, { token: h.root.token });
    expect(completed).toMatchObject({
      status: 409,
      body: { detail: "Export is completed; only a failed export can be retried." },
    });
  });
});

describe("GET /api/v1/export_events/ (superusers)", () => {
  it("lists downloads across users with filters and X-Total-Count; regular users 403", async () => {
    const res = await api("GET", `/api/v1/export_events/?type=downloaded&user=${h.alice.id}&limit=2`, {
      token: h.root.token,
    });
    expect(res.status).toBe(200);
    assertServedAnswer("/api/v1/export_events/", "get", 200, res.body);
    // The partial file, its range, the whole file (a HEAD hands over nothing: not recorded).
    expect(Number(res.headers.get("x-total-count"))).toBe(3);
    expect(res.headers.get("link")).toContain('rel="next"');
    const page = res.body as ExportEventDto[];
    expect(page.map((ev) => ev.type)).toEqual(["downloaded", "downloaded"]);
    expect((page[0]?.created_date ?? "") >= (page[1]?.created_date ?? "")).toBe(true);
    const none = await api("GET", "/api/v1/export_events/?created_date__lt=2000-01-01T00:00:00Z", {
      token: h.root.token,
    });
    expect(none.headers.get("x-total-count")).toBe("0");
    expect(await api("GET", "/api/v1/export_events/", { token: h.alice.token })).toMatchObject({
      status: 403,
      body: FORBIDDEN,
    });
    const bad = await api("GET", "/api/v1/export_events/?type=opened&colour=red", { token: h.root.token });
    expect(bad.status).toBe(400);
    assertServedAnswer("/api/v1/export_events/", "get", 400, bad.body);
  });

  it("documents the operations in the served OpenAPI document", () => {
    const paths = openApiDocument().paths;
    expect(Object.keys(paths["/api/v1/exports/{id}/retry/"] ?? {})).toEqual(["post"]);
    expect(Object.keys(paths["/api/v1/exports/{id}/events/"] ?? {})).toEqual(["get"]);
    expect(Object.keys(paths["/api/v1/export_events/"] ?? {})).toEqual(["get"]);
  });
});

describe("tRPC twins", () => {
  const caller = (user: { actor: Parameters<typeof callerContext>[2] }) =>
    createCaller(callerContext(h.db, storage, user.actor));
  const codeOf = async (promise: Promise<unknown>) => {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TRPCError);
    return (err as TRPCError).code;
  };

  it("exports.retry, exports.events and exports.auditEvents, through the same services", async () => {
    const e = await failedExport();
    expect(await codeOf(caller(h.bob).exports.retry({ id: e.id }))).toBe("NOT_FOUND");
    const retried = await caller(h.root).exports.retry({ id: e.id });
    expect(retried).toMatchObject({ id: e.id, status: "waiting_next_page" });
    expect(await codeOf(caller(h.alice).exports.retry({ id: e.id }))).toBe("CONFLICT");
    const events = await caller(h.alice).exports.events({ id: e.id });
    expect(events.map((ev) => [ev.type, ev.actor_username])).toEqual([
      ["created", "alice"],
      ["started", null],
      ["failed", null],
      ["retried", "root"],
    ]);
    expect(await codeOf(caller(h.bob).exports.events({ id: e.id }))).toBe("NOT_FOUND");
    const audit = await caller(h.root).exports.auditEvents({ type: "retried", export: e.id });
    expect(audit.total).toBe(1);
    expect(await codeOf(caller(h.alice).exports.auditEvents({}))).toBe("FORBIDDEN");
    await drain();
  });
});
