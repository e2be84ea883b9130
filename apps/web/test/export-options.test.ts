import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { DEFAULT_EXPORT_OPTIONS, type ExportDto } from "@exports/core";
import { DEFAULT_ENGINE_CONFIG, LocalStorage, runOnce } from "@exports/core/node";
import { seedProducts } from "@exports/core/testing";
import { parse as parseCsv } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/trpc/root";
import { contractClient } from "./contract";
import { callerContext, fileHarness } from "./harness";

// Issue 17's options through the doors: REST create (JSON and multipart) → the engine → download → parsed back;
// tRPC create takes them as REST does. The engine's own tests (packages/core/test/engine/options.test.ts) read
// every option back on both storage backends.

const STORAGE_DIR = mkdtempSync(path.join(os.tmpdir(), "exports-web-options-"));
process.env.STORAGE_DIR = STORAGE_DIR;
const storage = new LocalStorage(STORAGE_DIR);

const h = fileHarness();
const { api } = contractClient(h);

beforeAll(async () => {
  await seedProducts(h.db, 40);
});

afterAll(async () => {
  await rm(STORAGE_DIR, { recursive: true, force: true });
});

async function drain() {
  const deps = {
    db: h.db,
    pool: h.testDb.pool,
    storage,
    config: { ...DEFAULT_ENGINE_CONFIG, pageSize: 13, backoffMs: 10 },
  };
  for (let i = 0; i < 1000; i++) if (!(await runOnce(deps, `web-options:${i}`))) return;
  throw new Error("the engine did not finish");
}

describe("export options (REST)", () => {
  it("creates with options, answers them in retrieve, and downloads a .csv.gz that parses with its delimiter", async () => {
    const options = {
      delimiter: ";",
      decimal_separator: ",",
      timezone: "Europe/Istanbul",
      compression: "gzip",
    };
    const res = await api("POST", "/api/v1/exports/", {
      token: h.alice.token,
      body: { request_path: "/api/v1/products/", request_fields: ["id", "price", "created_date"], options },
    });
    expect(res.status).toBe(201);
    const created = res.body as ExportDto;
    expect(created.options).toEqual({ ...DEFAULT_EXPORT_OPTIONS, ...options });
    await drain();
    const got = await api("GET", `/api/v1/exports/${created.id}/`, { token: h.alice.token });
    expect((got.body as ExportDto).options).toEqual(created.options);
    expect((got.body as ExportDto).status).toBe("completed");
    const download = await h.send("GET", `/api/v1/exports/${created.id}/download/`, { token: h.alice.token });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/gzip");
    expect(download.headers.get("content-disposition")).toMatch(
      /^attachment; filename="products-export-\d{8}-\d{6}-[0-9a-f]{8}\.csv\.gz"/,
    );
    const text = gunzipSync(Buffer.from(await download.arrayBuffer())).toString("utf8");
    const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ""), { delimiter: ";" }) as string[][];
    expect(header).toEqual(["ID", "Price", "Created (Europe/Istanbul)"]);
    expect(rows).toHaveLength(40);
    for (const [id, price, createdDate] of rows) {
      expect(id).toMatch(/^\d+$/);
      expect(price).toMatch(/^\d+,\d{2}$/);
      expect(createdDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+03:00$/);
    }
  });

  it("takes options as a JSON text field of a multipart create", async () => {
    const fd = new FormData();
    fd.append("request_path", "/api/v1/products/?id__lte=3");
    fd.append("options", JSON.stringify({ include_header: false, delimiter: "\t" }));
    const res = await api("POST", "/api/v1/exports/", { token: h.alice.token, rawBody: fd });
    expect(res.status).toBe(201);
    expect((res.body as ExportDto).options).toMatchObject({ include_header: false, delimiter: "\t" });
    const bad = new FormData();
    bad.append("request_path", "/api/v1/products/");
    bad.append("options", "gzip");
    const refused = await api("POST", "/api/v1/exports/", { token: h.alice.token, rawBody: bad });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body as object)).toEqual(["options"]);
  });

  it("answers 400 for a decimal comma with a comma delimiter and for gzip on XLSX", async () => {
    for (const body of [
      { request_path: "/api/v1/products/", options: { decimal_separator: "," } },
      { request_path: "/api/v1/products/", format_type: "xls", options: { compression: "gzip" } },
      { request_path: "/api/v1/products/", options: { timezone: "Mars/Olympus" } },
    ]) {
      const res = await api("POST", "/api/v1/exports/", { token: h.alice.token, body });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body as object)).toEqual(["options"]);
    }
  });
});

describe("export options (tRPC)", () => {
  it("creates with options as REST does, the language's defaults included", async () => {
    const caller = createCaller(callerContext(h.db, storage, h.alice.actor));
    const created = await caller.exports.create({
      request_path: "/api/v1/products/?id=5",
      language: "tr",
      options: { language_defaults: true },
    });
    expect(created.options).toEqual({
      delimiter: ";",
      decimal_separator: ",",
      timezone: "Europe/Istanbul",
      include_header: true,
      compression: "none",
    });
  });
});
