import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalStorage, templateSchema } from "@exports/core";
import { seedProducts } from "@exports/core/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/trpc/root";
import { assertContract, assertErrorBody, assertExportRecord } from "./contract";
import { callerContext, type Harness, startHarness, type TestUser } from "./harness";

// Issue 17's saved exports over REST (and their tRPC twins): status codes, bodies, visibility, run-now.

const storage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-templates-storage-")));
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await seedProducts(h.db, 10);
});
afterAll(async () => {
  await h?.close();
});

const body = {
  name: "Weekday products",
  request_path: "/api/v1/products/?is_active=true",
  request_fields: ["sku", "name", "price"],
  format_type: "xls",
  language: "tr",
  options: {},
  schedule: { cron: "0 6 * * 1-5", timezone: "Europe/Istanbul" },
  only_changed_since_last_run: false,
};

async function create(user: TestUser, extra: Record<string, unknown> = {}) {
  const res = await h.call("POST", "/api/v1/export_templates/", {
    token: user.token,
    body: { ...body, ...extra },
  });
  expect(res.status, res.text).toBe(201);
  return templateSchema.parse(res.body);
}

describe("POST /api/v1/export_templates/", () => {
  it("201 with id, the fields, next_run_at and last_run_at", async () => {
    const tpl = await create(h.alice);
    expect(tpl).toMatchObject({
      ...body,
      owner: h.alice.id,
      owner_username: "alice",
      paused: false,
      last_run_at: null,
    });
    expect(new Date(tpl.next_run_at ?? "").getUTCHours()).toBe(3);
  });

  it("400 listing every problem, as an export's create does; never stores anything", async () => {
    const res = await h.call("POST", "/api/v1/export_templates/", {
      token: h.alice.token,
      body: {
        request_path: "/api/v1/nowhere/",
        format_type: "xml",
        schedule: { cron: "0 25 * * *", timezone: "Europe/Atlantis" },
        options: { delimiter: "|" },
      },
    });
    expect(res.status).toBe(400);
    assertErrorBody(res.body);
    const fields = res.body as Record<string, string[]>;
    expect(Object.keys(fields).sort()).toEqual([
      "format_type",
      "name",
      "options",
      "request_path",
      "schedule",
    ]);
    expect(fields.schedule?.join(" ")).toMatch(/hour: 25/);
    expect(fields.schedule?.join(" ")).toMatch(/Unknown time zone "Europe\/Atlantis"/);
    expect(fields.request_path?.[0]).toMatch(/Unknown resource path/);
    const list = await h.call("GET", "/api/v1/export_templates/", { token: h.bob.token });
    expect(list.body).toEqual([]);
  });

  it("401 without a token; 415 for a body that is not JSON", async () => {
    expect((await h.call("POST", "/api/v1/export_templates/", { token: null, body })).status).toBe(401);
    const res = await h.call("POST", "/api/v1/export_templates/", {
      token: h.alice.token,
      rawBody: "name=x",
      headers: { "Content-Type": "text/plain" },
    });
    expect(res.status).toBe(415);
  });
});

describe("visibility: the owner or a superuser; anyone else 404", () => {
  it("retrieve, PATCH, DELETE and run", async () => {
    const tpl = await create(h.alice);
    const at = `/api/v1/export_templates/${tpl.id}/`;
    for (const [method, p] of [
      ["GET", at],
      ["PATCH", at],
      ["DELETE", at],
      ["POST", `${at}run/`],
    ] as const) {
      const res = await h.call(method, p, {
        token: h.bob.token,
        body: method === "PATCH" ? { name: "x" } : undefined,
      });
      expect(res.status, `${method} ${p}`).toBe(404);
      expect(res.body).toEqual({ detail: "Not found." });
    }
    expect(
      (await h.call("GET", "/api/v1/export_templates/not-a-uuid/", { token: h.alice.token })).status,
    ).toBe(404);
    expect((await h.call("GET", at, { token: h.root.token })).status).toBe(200);
    const mine = await h.call("GET", "/api/v1/export_templates/", { token: h.alice.token });
    expect((mine.body as { id: string }[]).map((x) => x.id)).toContain(tpl.id);
    expect(mine.headers.get("x-total-count")).toBeTruthy();
    const bobs = await h.call("GET", "/api/v1/export_templates/", { token: h.bob.token });
    expect((bobs.body as { id: string }[]).map((x) => x.id)).not.toContain(tpl.id);
  });

  it("PATCH pauses and resumes; a bad value is a 400; DELETE is 204 and then 404", async () => {
    const tpl = await create(h.alice);
    const at = `/api/v1/export_templates/${tpl.id}/`;
    const paused = await h.call("PATCH", at, { token: h.alice.token, body: { paused: true } });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ paused: true, next_run_at: null });
    const resumed = await h.call("PATCH", at, { token: h.alice.token, body: { paused: false } });
    expect((resumed.body as { next_run_at: string }).next_run_at).not.toBeNull();
    const bad = await h.call("PATCH", at, {
      token: h.alice.token,
      body: { schedule: { cron: "daily", timezone: "UTC" } },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body as object)).toEqual(["schedule"]);
    const deleted = await h.send("DELETE", at, { token: h.alice.token });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    expect((await h.call("GET", at, { token: h.alice.token })).status).toBe(404);
  });
});

describe("POST /api/v1/export_templates/{id}/run/", () => {
  it("201 with the new export (the retrieve's record), which names its template in retrieve and list", async () => {
    const tpl = await create(h.alice);
    const res = await h.call("POST", `/api/v1/export_templates/${tpl.id}/run/`, { token: h.alice.token });
    expect(res.status, res.text).toBe(201);
    assertExportRecord(res.body);
    const run = res.body as { id: string; template: string };
    expect(run.template).toBe(tpl.id);
    const retrieve = await h.call("GET", `/api/v1/exports/${run.id}/`, { token: h.alice.token });
    assertContract("GET", `/api/v1/exports/${run.id}/`, retrieve);
    expect(retrieve.body).toEqual(res.body);
    const list = await h.call("GET", `/api/v1/exports/?template=${tpl.id}`, { token: h.alice.token });
    assertContract("GET", "/api/v1/exports/", list);
    expect((list.body as { id: string }[]).map((e) => e.id)).toEqual([run.id]);
    const all = await h.call("GET", "/api/v1/exports/", { token: h.alice.token });
    assertContract("GET", "/api/v1/exports/", all);
    expect(
      (all.body as { id: string; template: string | null }[]).find((e) => e.id === run.id)?.template,
    ).toBe(tpl.id);
    const bad = await h.call("GET", "/api/v1/exports/?template=nope", { token: h.alice.token });
    expect(bad.status).toBe(400);
    // A second run while the first is in flight is that same export (as an identical create), 200.
    const again = await h.call("POST", `/api/v1/export_templates/${tpl.id}/run/`, { token: h.alice.token });
    expect(again.status).toBe(200);
    expect((again.body as { id: string }).id).toBe(run.id);
  });
});

describe("tRPC twins", () => {
  it("create, list, get, update, run, delete over the same services; errors as REST", async () => {
    const alice = createCaller(callerContext(h.db, storage, h.alice.actor));
    const bob = createCaller(callerContext(h.db, storage, h.bob.actor));
    const tpl = await alice.templates.create({ ...body, format_type: "csv", language: "en" });
    expect((await alice.templates.get({ id: tpl.id })).name).toBe(body.name);
    expect((await alice.templates.list({})).items.map((x) => x.id)).toContain(tpl.id);
    expect((await alice.templates.update({ id: tpl.id, patch: { paused: true } })).paused).toBe(true);
    const run = await alice.templates.run({ id: tpl.id });
    expect(run.template).toBe(tpl.id);
    await expect(bob.templates.get({ id: tpl.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const err = await alice.templates
      .create({ ...body, schedule: { cron: "x", timezone: "UTC" } } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe("BAD_REQUEST");
    await alice.templates.delete({ id: tpl.id });
    await expect(alice.templates.get({ id: tpl.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
