import { createDatabase, type Database } from "@exports/core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  contractClient,
  INVALID_TOKEN,
  itSweepsEveryRecord,
  MISSING_UUID,
  NOT_FOUND,
  NOT_PROVIDED,
} from "./contract";
import { fileHarness } from "./harness";

// SPEC §2.7, 2.10: authentication, unknown paths and methods, the database away. Case by case through the
// real API door; every answer is checked against the contract.

const h = fileHarness();
const { api, get } = contractClient(h);

describe("authentication (SPEC §2.7)", () => {
  let someId: string;
  beforeAll(async () => {
    someId = (await h.insertExport(h.alice)).id;
  });

  const requests = () =>
    [
      ["GET", "/api/v1/exports/"],
      ["GET", `/api/v1/exports/${someId}/`],
      ["GET", "/api/v1/exports/abc/"],
      ["POST", `/api/v1/exports/${someId}/set_cancel/`],
      ["POST", "/api/v1/exports/abc/set_cancel/"],
      ["POST", "/api/v1/exports/"],
      ["GET", "/api/v1/products/"],
    ] as const;

  const cases: [string, Record<string, string>, { detail: string }][] = [
    ["no header", {}, NOT_PROVIDED],
    ["an unknown key", { Authorization: `Token ${"0".repeat(40)}` }, INVALID_TOKEN],
    ["a malformed key", { Authorization: "Token not-a-key" }, INVALID_TOKEN],
    ["Token alone", { Authorization: "Token" }, { detail: "Invalid token header. No credentials provided." }],
    [
      "Token a b",
      { Authorization: "Token a b" },
      { detail: "Invalid token header. Token string should not contain spaces." },
    ],
    ["Bearer x", { Authorization: "Bearer x" }, NOT_PROVIDED],
    [
      "Basic credentials",
      { Authorization: `Basic ${Buffer.from("alice:x").toString("base64")}` },
      NOT_PROVIDED,
    ],
  ];

  it.each(cases)("%s: 401 with WWW-Authenticate: Token on every operation", async (_label, headers, body) => {
    for (const [method, path] of requests()) {
      const res = await api(method, path, {
        headers,
        ...(method === "POST" && path === "/api/v1/exports/"
          ? { body: { request_path: "/api/v1/products/" } }
          : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body, `${method} ${path}`).toEqual(body);
      expect(res.headers.get("www-authenticate"), `${method} ${path}`).toBe("Token");
    }
  });

  it("reads the scheme case-insensitively, as DRF does", async () => {
    const res = await api("GET", "/api/v1/exports/", {
      headers: { Authorization: `token ${h.alice.token}` },
    });
    expect(res.status).toBe(200);
  });

  it("creates nothing for an unauthenticated create", async () => {
    const before = await h.countExports();
    await api("POST", "/api/v1/exports/", { body: { request_path: "/api/v1/products/" } });
    expect(await h.countExports()).toBe(before);
  });
});

describe("other paths and methods", () => {
  it.each([
    ["GET", "/api/v1/nothing/"],
    ["GET", "/api/v2/exports/"],
    ["POST", "/api/v1/customers/"],
    ["DELETE", "/api/whatever"],
  ])("%s %s → 404 JSON", async (method, path) => {
    const res = await api(method, path, { token: h.root.token });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it("DELETE on an export → 405 JSON with Allow, and the export stays", async () => {
    const row = await h.insertExport(h.alice);
    const res = await api("DELETE", `/api/v1/exports/${row.id}/`, { token: h.root.token });
    expect(res.status).toBe(405);
    expect(res.body).toEqual({ detail: 'Method "DELETE" not allowed.' });
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(await h.findExport(row.id)).toEqual(row);
  });

  it.each([
    ["PUT", "/api/v1/exports/", "GET, HEAD, POST, OPTIONS"],
    ["PATCH", "/api/v1/exports/", "GET, HEAD, POST, OPTIONS"],
    ["DELETE", "/api/v1/exports/", "GET, HEAD, POST, OPTIONS"],
    ["PUT", `/api/v1/exports/${MISSING_UUID}/`, "GET, HEAD, OPTIONS"],
    ["POST", `/api/v1/exports/${MISSING_UUID}/`, "GET, HEAD, OPTIONS"],
    ["GET", `/api/v1/exports/${MISSING_UUID}/set_cancel/`, "POST, OPTIONS"],
    ["POST", "/api/v1/products/", "GET, HEAD, OPTIONS"],
    ["DELETE", "/api/v1/orders/", "GET, HEAD, OPTIONS"],
  ])("%s %s → 405 with Allow: %s", async (method, path, allow) => {
    const res = await api(method, path, { token: h.root.token, ...(method === "GET" ? {} : { body: {} }) });
    expect(res.status).toBe(405);
    expect(res.body).toEqual({ detail: `Method "${method}" not allowed.` });
    expect(res.headers.get("allow")).toBe(allow);
  });

  it("answers 503 JSON with Retry-After while the database is away", async () => {
    const holder = globalThis as { __exportsDatabase?: Database };
    const saved = holder.__exportsDatabase;
    const down = createDatabase("postgres://postgres@127.0.0.1:1/nothing", { max: 1 });
    holder.__exportsDatabase = down;
    try {
      for (const [method, path] of [
        ["GET", "/api/v1/exports/"],
        ["GET", `/api/v1/exports/${MISSING_UUID}/`],
        ["POST", `/api/v1/exports/${MISSING_UUID}/set_cancel/`],
      ] as const) {
        const res = await api(method, path, { token: h.root.token });
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ detail: "The database is unavailable. Try again in a moment." });
        expect(res.headers.get("retry-after")).toBe("5");
      }
    } finally {
      holder.__exportsDatabase = saved;
      await down.close();
    }
    expect((await get("/api/v1/exports/", h.root)).status).toBe(200);
  });
});

itSweepsEveryRecord(h);
