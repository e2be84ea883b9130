import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./harness";

// This file's routes read low limits (env() is read once per file, after this), and store uploads here.
process.env.MAX_ACTIVE_EXPORTS_PER_USER = "3";
process.env.MAX_FILTER_FILES_PER_USER = "2";
process.env.STORAGE_DIR = mkdtempSync(path.join(os.tmpdir(), "exports-web-abuse-"));

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

const create = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  h.call("POST", "/api/v1/exports/", { token, body, headers });

describe("POST /api/v1/exports/ abuse limits (issue 6 §9)", () => {
  it("answers 429 with Retry-After past the active-export limit, and nothing is stored", async () => {
    const u = await h.addUser("busy");
    for (let i = 0; i < 3; i++)
      expect((await create(u.token, { request_path: `/api/v1/products/?id__gt=${i}` })).status).toBe(201);
    const before = await h.countExports(u);
    const res = await create(u.token, { request_path: "/api/v1/products/?id__gt=9" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(res.body).toEqual({
      detail:
        "You have 3 unfinished exports, the most one user may have at once. Wait until one of them finishes; try again in 30 seconds.",
    });
    expect(await h.countExports(u)).toBe(before);
  });

  it("returns the identical export in flight with 200 instead of starting another", async () => {
    const u = await h.addUser("twice");
    const first = await create(u.token, { request_path: "/api/v1/orders/", format_type: "json" });
    const again = await create(u.token, { request_path: "/api/v1/orders/", format_type: "json" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await h.countExports(u)).toBe(1);
  });

  it("replays a repeat under the same Idempotency-Key; a different request under it is 409", async () => {
    const u = await h.addUser("retrying");
    const body = { request_path: "/api/v1/products/?is_active=true" };
    const first = await create(u.token, body, { "Idempotency-Key": "abc-1" });
    const repeat = await create(u.token, body, { "Idempotency-Key": "abc-1" });
    expect(first.status).toBe(201);
    expect(repeat.status).toBe(201);
    expect(repeat.headers.get("idempotent-replayed")).toBe("true");
    expect(repeat.body).toEqual(first.body);
    const other = await create(u.token, { request_path: "/api/v1/orders/" }, { "Idempotency-Key": "abc-1" });
    expect(other.status).toBe(409);
    expect(other.body).toEqual({ detail: "This Idempotency-Key was already used with a different request." });
    const bad = await create(u.token, body, { "Idempotency-Key": "x".repeat(300) });
    expect(bad.status).toBe(400);
    expect(await h.countExports(u)).toBe(1);
  });
});

describe("stored filter files per user (issue 12)", () => {
  it("answers 429 with Retry-After past MAX_FILTER_FILES_PER_USER, storing nothing", async () => {
    const u = await h.addUser("uploader");
    const upload = (i: number) => {
      const form = new FormData();
      form.append("request_path", `/api/v1/products/?id__gt=${i}`);
      form.append("filter_file", new Blob([`NONE-${i}\n`]), "ids.txt");
      return h.call("POST", "/api/v1/exports/", { token: u.token, rawBody: form });
    };
    for (let i = 0; i < 2; i++) expect((await upload(i)).status).toBe(201);
    const before = await h.countExports(u);
    const res = await upload(2);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(30);
    expect(res.body).toEqual({
      detail:
        "You already have 2 stored filter files (the limit is 2). Each is deleted when its export expires; try again then, or export without a filter file.",
    });
    expect(await h.countExports(u)).toBe(before);
  });
});
