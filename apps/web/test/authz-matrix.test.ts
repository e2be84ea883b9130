import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { keys, LocalStorage } from "@exports/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, type TestUser } from "./harness";

// The routes find their storage through getStorage() (STORAGE_DIR, read once by env()).
const STORAGE_DIR = mkdtempSync(path.join(os.tmpdir(), "exports-authz-"));
process.env.STORAGE_DIR = STORAGE_DIR;
const storage = new LocalStorage(STORAGE_DIR);

let h: Harness;
type Who = "anonymous" | "owner" | "other" | "superuser";
const WHO: Who[] = ["anonymous", "owner", "other", "superuser"];

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

function user(who: Who): TestUser | null {
  return who === "anonymous" ? null : who === "owner" ? h.alice : who === "other" ? h.bob : h.root;
}

/** A fresh export of the owner's (a cancel changes it, so each cell gets its own). */
async function waitingExport() {
  return h.insertExport(h.alice, { status: "waiting" });
}

async function completedExport() {
  const id = randomUUID();
  const key = keys.result(id, "attempt", "products-export.csv");
  const file = await storage.create(key);
  file.stream.write("\uFEFFID\r\n1\r\n");
  await file.commit();
  return h.insertExport(h.alice, {
    id,
    status: "completed",
    formatType: "csv",
    resultKey: key,
    resultFile: `/api/v1/exports/${id}/download/`,
  });
}

/**
 * Every REST operation × every kind of caller, with the exact status each must get. Another user's export
 * is a 404, never a 403: its existence is not revealed (SPEC §2.8). set_cancel is for superusers, checked
 * before the lookup (SPEC §2.9).
 */
const REST: Array<{
  name: string;
  expect: Record<Who, number>;
  run: (u: TestUser | null) => Promise<number>;
}> = [
  {
    name: "GET /api/v1/exports/",
    expect: { anonymous: 401, owner: 200, other: 200, superuser: 200 },
    run: async (u) => (await h.call("GET", "/api/v1/exports/", { token: u?.token ?? null })).status,
  },
  {
    name: "GET /api/v1/exports/{id}/",
    expect: { anonymous: 401, owner: 200, other: 404, superuser: 200 },
    run: async (u) => {
      const e = await waitingExport();
      return (await h.call("GET", `/api/v1/exports/${e.id}/`, { token: u?.token ?? null })).status;
    },
  },
  {
    name: "POST /api/v1/exports/",
    expect: { anonymous: 401, owner: 201, other: 201, superuser: 201 },
    run: async (u) =>
      (
        await h.call("POST", "/api/v1/exports/", {
          token: u?.token ?? null,
          body: { request_path: "/api/v1/products/" },
        })
      ).status,
  },
  {
    name: "POST /api/v1/exports/{id}/set_cancel/",
    expect: { anonymous: 401, owner: 403, other: 403, superuser: 200 },
    run: async (u) => {
      const e = await waitingExport();
      return (await h.call("POST", `/api/v1/exports/${e.id}/set_cancel/`, { token: u?.token ?? null }))
        .status;
    },
  },
  {
    name: "GET /api/v1/exports/{id}/download/",
    expect: { anonymous: 401, owner: 200, other: 404, superuser: 200 },
    run: async (u) => {
      const e = await completedExport();
      const res = await h.send("GET", `/api/v1/exports/${e.id}/download/`, { token: u?.token ?? null });
      await res.arrayBuffer();
      return res.status;
    },
  },
  {
    name: "GET /api/v1/products/",
    expect: { anonymous: 401, owner: 200, other: 200, superuser: 200 },
    run: async (u) => (await h.call("GET", "/api/v1/products/", { token: u?.token ?? null })).status,
  },
  {
    name: "GET /api/v1/orders/",
    expect: { anonymous: 401, owner: 200, other: 200, superuser: 200 },
    run: async (u) => (await h.call("GET", "/api/v1/orders/", { token: u?.token ?? null })).status,
  },
];

describe.each(REST)("$name", ({ expect: expected, run }) => {
  it.each(WHO)("%s", async (who) => {
    expect(await run(user(who))).toBe(expected[who]);
  });
});

/** The same matrix through the tRPC HTTP endpoint (token auth), by HTTP status. */
async function trpc(kind: "query" | "mutation", proc: string, input: unknown, u: TestUser | null) {
  const headers: Record<string, string> = u ? { authorization: `Token ${u.token}` } : {};
  if (kind === "query") {
    const q = encodeURIComponent(JSON.stringify(input));
    return (await h.call("GET", `/api/trpc/${proc}?input=${q}`, { token: u?.token ?? null })).status;
  }
  return (await h.call("POST", `/api/trpc/${proc}`, { token: u?.token ?? null, body: input, headers }))
    .status;
}

const TRPC: Array<{
  name: string;
  expect: Record<Who, number>;
  run: (u: TestUser | null) => Promise<number>;
}> = [
  {
    name: "exports.list",
    expect: { anonymous: 401, owner: 200, other: 200, superuser: 200 },
    run: (u) => trpc("query", "exports.list", {}, u),
  },
  {
    name: "exports.get",
    expect: { anonymous: 401, owner: 200, other: 404, superuser: 200 },
    run: async (u) => trpc("query", "exports.get", { id: (await waitingExport()).id }, u),
  },
  {
    name: "exports.create",
    expect: { anonymous: 401, owner: 200, other: 200, superuser: 200 },
    run: (u) => trpc("mutation", "exports.create", { request_path: "/api/v1/orders/" }, u),
  },
  {
    name: "exports.cancel",
    expect: { anonymous: 401, owner: 403, other: 403, superuser: 200 },
    run: async (u) => trpc("mutation", "exports.cancel", { id: (await waitingExport()).id }, u),
  },
  {
    name: "products.list",
    expect: { anonymous: 401, owner: 200, other: 200, superuser: 200 },
    run: (u) => trpc("query", "products.list", {}, u),
  },
  {
    name: "orders.list",
    expect: { anonymous: 401, owner: 200, other: 200, superuser: 200 },
    run: (u) => trpc("query", "orders.list", {}, u),
  },
];

describe.each(TRPC)("tRPC $name", ({ expect: expected, run }) => {
  it.each(WHO)("%s", async (who) => {
    expect(await run(user(who))).toBe(expected[who]);
  });
});
