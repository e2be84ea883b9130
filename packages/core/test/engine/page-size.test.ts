import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { DEFAULT_ENGINE_CONFIG, engineConfigFromEnv } from "../../src/engine/config";
import { type PageOrigin, pageRows } from "../../src/engine/page-size";
import { runOnce } from "../../src/engine/runner";
import { parseEnv } from "../../src/env";
import { seedProducts } from "../../src/seed/products";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import {
  drain,
  engineDeps,
  exportRow,
  parseCsvFile,
  readResult,
  tempStorage,
  withCreateHook,
} from "./helpers";

const at = (o: Partial<PageOrigin>): PageOrigin => ({
  totalCount: 0,
  collectedCount: 0,
  failCount: 0,
  lastInstanceId: 0,
  maxInstanceId: 0,
  ...o,
});

describe("pageRows", () => {
  const auto = DEFAULT_ENGINE_CONFIG;

  it("is about a quarter of the export, between 10,000 and 250,000 records, by default", () => {
    expect(auto.pageSizing).toEqual({ pages: 4, minRows: 10_000 });
    expect(pageRows(auto, at({ totalCount: 1_000_000 }))).toBe(250_000);
    expect(pageRows(auto, at({ totalCount: 800_000 }))).toBe(200_000);
    expect(pageRows(auto, at({ totalCount: 100_000, collectedCount: 25_000 }))).toBe(25_000);
    expect(pageRows(auto, at({ totalCount: 100_001 }))).toBe(25_001);
    expect(pageRows(auto, at({ totalCount: 30_000 }))).toBe(10_000);
    expect(pageRows(auto, at({ totalCount: 10_000_000 }))).toBe(250_000);
  });

  it("before the count is recorded, takes the export's size from the ids left (an upper bound)", () => {
    expect(pageRows(auto, at({ maxInstanceId: 800_000 }))).toBe(200_000);
    expect(
      pageRows(
        auto,
        at({ maxInstanceId: 100_000, lastInstanceId: 20_000, collectedCount: 19_000, failCount: 1000 }),
      ),
    ).toBe(25_000);
  });

  it("is pageSize whatever the export when sizing is off, and never above it", () => {
    const fixed = { pageSize: 250_000, pageSizing: null };
    expect(pageRows(fixed, at({ totalCount: 100 }))).toBe(250_000);
    expect(pageRows({ ...auto, pageSize: 100 }, at({ totalCount: 1_000_000 }))).toBe(100);
    expect(pageRows({ ...auto, pageSize: 7_000 }, at({ totalCount: 100 }))).toBe(7_000);
  });

  it("EXPORT_PAGE_SIZE, when set, is kept exactly; unset, pages are sized from the export", () => {
    expect(engineConfigFromEnv(parseEnv({ EXPORT_PAGE_SIZE: "250000" }))).toMatchObject({
      pageSize: 250_000,
      pageSizing: null,
    });
    expect(engineConfigFromEnv(parseEnv({}))).toMatchObject({
      pageSize: 250_000,
      pageSizing: DEFAULT_ENGINE_CONFIG.pageSizing,
    });
  });
});

describe("pages sized from the export", () => {
  let t: TestDatabase;
  let alice: Actor;
  const storage = tempStorage();

  beforeAll(async () => {
    t = await createTestDatabase();
    alice = await createActor(t.db, "alice");
    await seedProducts(t.db, 1000);
  });

  afterAll(async () => {
    await t?.destroy();
  });

  it("a 1,000-record export in one run records 8 pages, collected_count moving at each; the file is exact", async () => {
    const config = { pageSize: 250_000, pageSizing: { pages: 8, minRows: 10 } };
    const seen: number[] = [];
    // Each part is created once the previous page's record is under way: what a person polling would see.
    const watched = withCreateHook(storage, async () => {
      seen.push((await exportRow(t.db, e.id)).collectedCount);
    });
    const deps = engineDeps(t, watched, config);
    const e = await createTestExport(t.db, alice, {
      request_path: "/api/v1/products/",
      request_fields: ["id", "sku"],
    });
    const first = await runOnce(deps, "w1");
    expect(first?.outcome).toBe("page");
    const row = await exportRow(t.db, e.id);
    expect(row).toMatchObject({
      status: "preparing_file_creation",
      page: 9,
      collectedCount: 1000,
      totalCount: 1000,
    });
    expect(row.uploadedParts).toHaveLength(8);
    expect(new Set(seen).size).toBeGreaterThanOrEqual(4);
    await drain(deps);
    const rows = parseCsvFile(await readResult(storage, await exportRow(t.db, e.id))).slice(1);
    expect(rows.map((r) => Number(r[0]))).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });

  it("a filtered export's pages are an eighth of what it matches (after its first page)", async () => {
    const deps = engineDeps(t, storage, { pageSize: 250_000, pageSizing: { pages: 8, minRows: 1 } });
    const e = await createTestExport(t.db, alice, { request_path: "/api/v1/products/?id__lte=200" });
    await drain(deps);
    const row = await exportRow(t.db, e.id);
    expect(row).toMatchObject({ status: "completed", totalCount: 200, collectedCount: 200, page: 9 });
  });
});
