import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { seedProducts } from "../../src/seed/products";
import { isDirectEntry, LocalStorage, S3Storage, type Storage } from "../../src/storage";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { testS3Client } from "../../src/testing/s3";
import { drain, engineDeps, exportRow, readResult, readXlsxWithSheetJs, unstamped } from "./helpers";

/** Sheets of 1,000 rows (Excel's are 1,048,575), so that an export of 2,345 fills three. */
vi.mock("../../src/engine/formats/xlsx/writer", async (original) => {
  const actual = await original<typeof import("../../src/engine/formats/xlsx/writer")>();
  return { ...actual, xlsxWriter: actual.createXlsxWriter(1000) };
});

/**
 * XLSX's direct mode past its first sheet (steps/direct.ts): the pages of the first sheet but its first go direct,
 * those after it are part objects, and the assembly sends the sheets' own bytes between them.
 */
let t: TestDatabase;
let alice: Actor;
const REQUEST = { request_path: "/api/v1/products/", format_type: "xls" as const };

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 2345);
});

afterAll(async () => {
  await t?.destroy();
});

async function exportTo(storage: Storage) {
  const created = await createTestExport(t.db, alice, REQUEST);
  const deps = engineDeps(t, storage, { pageSize: 100 });
  await drain(deps, "w", 2);
  const during = (await exportRow(t.db, created.id)).uploadedParts;
  await drain(deps);
  const row = await exportRow(t.db, created.id);
  expect(row.status).toBe("completed");
  return { row, during, file: await readResult(storage, row) };
}

describe("XLSX to S3 over several sheets", { timeout: 120_000 }, () => {
  it("writes the first sheet's pages directly, the rest as part objects: the local backend's workbook", async () => {
    const local = await exportTo(new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-sheets-"))));
    const storage = new S3Storage(
      testS3Client(inject("s3Endpoint")),
      inject("s3Bucket"),
      `sheets-${Math.random().toString(36).slice(2, 10)}`,
      { minPart: 1024 },
    );
    const { row, during, file } = await exportTo(storage);
    // Two runs of 8 pages of 100 rows: the first a part object, the next 9 direct (the first sheet), then objects.
    expect(during.length).toBe(16);
    expect(during.map(isDirectEntry)).toEqual([false, ...Array(9).fill(true), ...Array(6).fill(false)]);
    expect(row.resultKey).toBe(row.directKey);
    expect(unstamped(file).equals(unstamped(local.file))).toBe(true);
    expect(readXlsxWithSheetJs(file).map((sheet) => sheet.length)).toEqual([1001, 1001, 346]);
  });
});
