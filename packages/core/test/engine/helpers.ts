import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { parse as parseCsv } from "csv-parse/sync";
import { eq } from "drizzle-orm";
import ExcelJS from "exceljs";
import { expect } from "vitest";
import type { Db } from "../../src/db/client";
import { type ExportRow, exports } from "../../src/db/schema";
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from "../../src/engine/config";
import { headerLabels, jsonValue, textValue } from "../../src/engine/formats/cells";
import { runOnce } from "../../src/engine/runner";
import type { StepDeps } from "../../src/engine/steps";
import { resolveRequestPath } from "../../src/resources/request-path";
import { fieldsByName } from "../../src/resources/serialize";
import { listResource } from "../../src/resources/service";
import { LocalStorage } from "../../src/storage";

export function tempStorage() {
  return new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-engine-")));
}

export function engineDeps(db: Db, storage: LocalStorage, config: Partial<EngineConfig> = {}): StepDeps {
  return { db, storage, config: { ...DEFAULT_ENGINE_CONFIG, pageSize: 100, backoffMs: 10, ...config } };
}

/** Runs steps (as one worker would) until nothing is runnable; returns how many steps ran. */
export async function drain(deps: StepDeps, owner = "test-worker", limit = 10_000): Promise<number> {
  let steps = 0;
  for (; steps < limit; steps++) {
    const result = await runOnce(deps, `${owner}:${steps}`);
    if (!result) break;
  }
  return steps;
}

export async function exportRow(db: Db, id: string): Promise<ExportRow> {
  const [row] = await db.select().from(exports).where(eq(exports.id, id));
  if (!row) throw new Error(`no export ${id}`);
  return row;
}

/**
 * What the export must contain: every record its request_path lists, across all pages (fetched through
 * the list service page by page, as a client would), in id order, with the export's columns.
 */
export async function expectedRows(db: Db, row: ExportRow) {
  const { resource, params } = resolveRequestPath(row.requestPath);
  const fields = fieldsByName(resource, row.columns ?? resource.defaultFields);
  const records: Record<string, unknown>[] = [];
  for (let page = 1; ; page++) {
    // An export ignores the path's ordering: it reads in id order.
    const pageParams = { ...params, ordering: "id", limit: "1000", page: String(page) };
    const result = await listResource(db, resource, pageParams);
    records.push(...result.items);
    if (result.items.length < 1000) break;
  }
  return { fields, records };
}

/** The file's rows as text cells (CSV), for comparison. */
export async function readResult(storage: LocalStorage, row: ExportRow): Promise<Buffer> {
  if (!row.resultKey) throw new Error("no result");
  return buffer(storage.read(row.resultKey));
}

export function parseCsvFile(data: Buffer): string[][] {
  const text = data.toString("utf8");
  if (!text.startsWith("\uFEFF")) throw new Error("CSV has no BOM");
  return parseCsv(text.slice(1), { relax_column_count: false }) as string[][];
}

export async function parseXlsxFile(data: Buffer): Promise<unknown[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(data as unknown as ArrayBuffer);
  const rows: unknown[][] = [];
  workbook.eachSheet((sheet) => {
    sheet.eachRow((r) => {
      rows.push((r.values as unknown[]).slice(1));
    });
  });
  return rows;
}

/**
 * The invariant (SPEC §3), asserted: the completed export's file, read back with a real parser (csv-parse,
 * JSON.parse, exceljs), holds exactly the records its request_path lists across all pages, in id order, with
 * its columns; and its counts agree.
 */
export async function expectFileToEqualListedRecords(db: Db, storage: LocalStorage, row: ExportRow) {
  const { fields: cols, records } = await expectedRows(db, row);
  expect(row.totalCount).toBe(records.length);
  expect(row.collectedCount).toBe(records.length);
  expect(row.failCount).toBe(0);
  const data = await readResult(storage, row);
  if (row.formatType === "csv") {
    const [header, ...body] = parseCsvFile(data);
    expect(header).toEqual(headerLabels(cols, row.language));
    expect(body).toEqual(records.map((r) => cols.map((f) => textValue(f.type, r[f.name]))));
  } else if (row.formatType === "json") {
    const parsed = JSON.parse(data.toString("utf8"));
    expect(parsed).toEqual(
      records.map((r) => Object.fromEntries(cols.map((f) => [f.name, jsonValue(f.type, r[f.name])]))),
    );
  } else {
    const [header, ...body] = await parseXlsxFile(data);
    expect(header).toEqual(headerLabels(cols, row.language));
    const expected = records.map((r) =>
      cols.map((f) => {
        const v = r[f.name];
        if (v === null || v === undefined) return undefined;
        if (f.type === "integer" || f.type === "decimal") return Number(v);
        if (f.type === "datetime") return new Date(String(v));
        if (f.type === "boolean") return v;
        return textValue(f.type, v);
      }),
    );
    expect(body).toEqual(expected);
  }
  expect(await storage.list(`parts/${row.id}`)).toEqual([]);
}

/**
 * A seeded random integer below `n` (mulberry32: integer arithmetic only, as an LCG in floating point loses its
 * low bits): the same sequence every run, for tests over generated cells.
 */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
}
