import { buffer } from "node:stream/consumers";
import { parse as parseCsv } from "csv-parse/sync";
import { eq } from "drizzle-orm";
import ExcelJS from "exceljs";
import fc from "fast-check";
import { expect, inject } from "vitest";
import * as XLSX from "xlsx";
import type { ValueType } from "../../src/contract";
import type { Database, Db } from "../../src/db/client";
import { type ExportRow, exports } from "../../src/db/schema";
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from "../../src/engine/config";
import { headerLabels } from "../../src/engine/formats/cells";
import { runOnce } from "../../src/engine/runner";
import type { StepDeps } from "../../src/engine/steps/shared";
import { resolveRequestPath } from "../../src/resources/request-path";
import { fieldsByName } from "../../src/resources/serialize";
import { listResource } from "../../src/resources/service";
import type { Storage } from "../../src/storage";
import { testBackend } from "../../src/testing/s3";

/**
 * A fresh storage of the backend this run tests: a local folder, or, with TEST_STORAGE=s3 (the "on S3" test
 * projects, vitest.config.ts), a key prefix of its own in the run's bucket on the test S3 server (TEST_S3_MIN_PART:
 * the direct uploads' minimum part, so that CSV pages go direct).
 */
export function tempStorage(): Storage {
  const minPart = Number(process.env.TEST_S3_MIN_PART) || undefined;
  return testBackend(process.env.TEST_STORAGE, inject("s3Endpoint"), inject("s3Bucket"), { minPart }).storage;
}

/** `storage` with `before(key)` run before each file is created (to act in the middle of a run of pages). */
export function withCreateHook(storage: Storage, before: (key: string) => Promise<void>): Storage {
  return Object.assign(Object.create(storage) as Storage, {
    async create(key: string) {
      await before(key);
      return storage.create(key);
    },
  });
}

export function engineDeps(
  { db, pool }: Pick<Database, "db" | "pool">,
  storage: Storage,
  config: Partial<EngineConfig> = {},
): StepDeps {
  return { db, pool, storage, config: { ...DEFAULT_ENGINE_CONFIG, pageSize: 100, backoffMs: 10, ...config } };
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
export async function readResult(storage: Storage, row: ExportRow): Promise<Buffer> {
  if (!row.resultKey) throw new Error("no result");
  return buffer(storage.read(row.resultKey));
}

export function parseCsvFile(data: Buffer): string[][] {
  const text = data.toString("utf8");
  if (!text.startsWith("\uFEFF")) throw new Error("CSV has no BOM");
  return parseCsv(text.slice(1), { relax_column_count: false }) as string[][];
}

/** ECMA-376's ST_Xstring escape: `_xHHHH_` is the UTF-16 unit HHHH, read left to right (`_x005F_` is a `_`). */
export function decodeXstring(text: string): string {
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/**
 * How LibreOffice (7.4, observed converting files to CSV) reads the escape: `_x`, 1 to 4 hex digits and `_`, left
 * to right, decoded only for the characters it escapes itself (C0 controls, `_`, U+FFFE, U+FFFF, surrogates); any
 * other match stays as it is. A `_x12` before an escaped character is where it and Excel differ.
 */
export function decodeLikeLibreOffice(text: string): string {
  return text.replace(/_x([0-9A-Fa-f]{1,4})_/g, (match, hex: string) => {
    const c = Number.parseInt(hex, 16);
    return c < 32 || c === 0x5f || c >= 0xfffe || (c >= 0xd800 && c <= 0xdfff)
      ? String.fromCharCode(c)
      : match;
  });
}

/** A sheet's rows of cell values (index 0 = column A; no cell: undefined). */
export type SheetRows = unknown[][];

/**
 * The workbook's sheets as exceljs reads them: numbers, booleans, date-times as Dates, text as strings. exceljs
 * 4.4 decodes the `_xHHHH_` escape in shared strings but not in inline strings (the writer's), so its text is
 * decoded here (`decode`: as Excel does, or as LibreOffice does). It reads a string cell of empty text as no
 * cell: see `asExceljsReads`.
 */
export async function readXlsxWithExceljs(data: Buffer, decode = decodeXstring): Promise<SheetRows[]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(data as unknown as ArrayBuffer);
  const sheets: SheetRows[] = [];
  workbook.eachSheet((sheet) => {
    const rows: SheetRows = [];
    sheet.eachRow((r) => {
      rows.push((r.values as unknown[]).slice(1).map((v) => (typeof v === "string" ? decode(v) : v)));
    });
    sheets.push(rows);
  });
  return sheets;
}

/** Expected cells as exceljs reads them: it cannot tell a string cell of empty text from no cell (undefined). */
export function asExceljsReads(rows: unknown[][]): unknown[][] {
  return rows.map((r) => r.map((v) => (v === "" ? undefined : v)));
}

/**
 * The workbook's sheets as SheetJS (`xlsx`, a reader independent of exceljs) reads them, each over the range its
 * `<dimension>` declares: it decodes `_xHHHH_` itself; a date-time cell (a serial day number with a date format)
 * becomes a Date rounded to the millisecond, as exceljs converts it.
 */
export function readXlsxWithSheetJs(data: Buffer): SheetRows[] {
  const workbook = XLSX.read(data, { type: "buffer", cellNF: true });
  return workbook.SheetNames.map((name) => {
    const sheet = workbook.Sheets[name];
    if (!sheet?.["!ref"]) return [];
    const range = XLSX.utils.decode_range(sheet["!ref"]);
    const rows: SheetRows = [];
    for (let r = range.s.r; r <= range.e.r; r++) {
      const row: unknown[] = [];
      for (let c = range.s.c; c <= range.e.c; c++) {
        const cell = sheet[XLSX.utils.encode_cell({ r, c })] as XLSX.CellObject | undefined;
        const date = cell?.t === "n" && typeof cell.z === "string" && XLSX.SSF.is_date(cell.z);
        row.push(date ? new Date(Math.round(((cell.v as number) - 25569) * 86_400_000)) : cell?.v);
      }
      rows.push(row);
    }
    return rows;
  });
}

/** Every sheet's rows read by exceljs, in one list (the header of each sheet included). */
export async function parseXlsxFile(data: Buffer): Promise<unknown[][]> {
  return (await readXlsxWithExceljs(data)).flat();
}

/**
 * A record's value as a CSV cell holds it: its text, formula-like text (`=`, `+`, `-`, `@`, tab, CR first) with a
 * `'` before it (OWASP CSV injection).
 */
function csvValue(type: ValueType, value: unknown): string {
  if (value === null || value === undefined) return "";
  const neutralized = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);
  switch (type) {
    case "datetime":
      return (value instanceof Date ? value : new Date(String(value))).toISOString();
    case "json":
      return neutralized(JSON.stringify(value));
    case "text":
      return neutralized(String(value));
    case "boolean":
      return value ? "true" : "false";
    default:
      return String(value);
  }
}

/** A record's value as an XLSX cell holds it: exactly the list's value, typed (absent when NULL). */
function xlsxValue(type: ValueType, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (type === "integer" || type === "decimal") return Number(value);
  if (type === "datetime") return new Date(String(value));
  if (type === "json") return JSON.stringify(value);
  return value;
}

/**
 * The invariant (SPEC §3), asserted: the completed export's file holds exactly the records its request_path lists
 * across all pages, in id order, with its columns, and its counts agree. JSON: byte for byte the list's values
 * (each row is JSON.stringify of the list's record, as the REST list serialises it); XLSX: the list's values in
 * typed cells, text exactly, read back by exceljs and by SheetJS, each sheet with its header; CSV (csv-parse):
 * the list's values as text, formula-like text with its `'` prefix.
 */
export async function expectFileToEqualListedRecords(db: Db, storage: Storage, row: ExportRow) {
  const { fields: cols, records } = await expectedRows(db, row);
  expect(row.totalCount).toBe(records.length);
  expect(row.collectedCount).toBe(records.length);
  expect(row.failCount).toBe(0);
  const data = await readResult(storage, row);
  if (row.formatType === "csv") {
    const [header, ...body] = parseCsvFile(data);
    expect(header).toEqual(headerLabels(cols, row.language));
    expect(body).toEqual(records.map((r) => cols.map((f) => csvValue(f.type, r[f.name]))));
  } else if (row.formatType === "json") {
    const listed = records.map((r) =>
      JSON.stringify(Object.fromEntries(cols.map((f) => [f.name, r[f.name]]))),
    );
    const text = data.toString("utf8");
    expect(text).toBe(listed.length ? `[\n${listed.join(",\n")}\n]\n` : "[]\n");
  } else {
    const header = headerLabels(cols, row.language);
    const expected = records.map((r) => cols.map((f) => xlsxValue(f.type, r[f.name])));
    for (const [sheets, cells] of [
      [await readXlsxWithExceljs(data), asExceljsReads(expected)],
      [readXlsxWithSheetJs(data), expected],
    ] as const) {
      const body = sheets.flatMap(([first, ...rest]) => {
        expect(first).toEqual(header);
        return rest;
      });
      // exceljs leaves a row's trailing empty cells out, SheetJS reads up to the dimension's last column.
      expect(body.map((r) => cols.map((_, i) => r[i]))).toEqual(cells);
    }
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

/** Every C0 control character but NUL (U+0001–U+001F). */
const CONTROLS = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1));

/**
 * Random text made of what every format's rules look at, anywhere in a cell: formula characters, control
 * characters (tab, LF, CR and the rest), DEL, quotes, backslashes, XML's specials, `_xHHHH_` sequences and their
 * pieces, noncharacters XML cannot carry (U+FFFE, U+FFFF), Unicode white space, non-BMP letters, and any other
 * code point. `nul`: U+0000 too (PostgreSQL text cannot hold it, so only files written from JS values meet it).
 */
export function hostileText(options: { nul?: boolean; maxLength?: number } = {}): fc.Arbitrary<string> {
  const special = fc.constantFrom(
    ...CONTROLS,
    ...(options.nul ? ["\u0000"] : []),
    ..."=+-@ '\",\\&<>;_xX0aFf",
    "\u007f",
    "\u0085",
    "\u00a0",
    "\u2028",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "İ",
    "😀",
  );
  const escapes = fc.constantFrom(
    "_x0041_",
    "_x005F_",
    "_X00ff_",
    "_x000D_",
    "_xFFFE_",
    "_x12",
    "_x5F",
    "_x9_",
    "_x0041",
    "x0009_",
    "&amp;",
  );
  const any = fc
    .string({ unit: "binary", minLength: 1, maxLength: 1 })
    .filter((c) => options.nul || c !== "\u0000");
  return fc.string({
    unit: fc.oneof(
      { arbitrary: special, weight: 4 },
      { arbitrary: escapes, weight: 1 },
      { arbitrary: any, weight: 2 },
    ),
    maxLength: options.maxLength ?? 12,
  });
}

/**
 * A ZIP with its entries' DOS times and dates zeroed: the workbook is stamped when it is assembled, so two runs
 * differ there only.
 */
export function unstamped(zip: Buffer): Buffer {
  const out = Buffer.from(zip);
  const end = out.length - 22;
  if (out.readUInt32LE(end) !== 0x06054b50) throw new Error("no end of central directory");
  const count = out.readUInt16LE(end + 10);
  let at = out.readUInt32LE(end + 16);
  for (let i = 0; i < count; i++) {
    if (out.readUInt32LE(at) !== 0x02014b50) throw new Error("bad central directory");
    const local = out.readUInt32LE(at + 42);
    out.writeUInt32LE(0, at + 12);
    out.writeUInt32LE(0, local + 10);
    at += 46 + out.readUInt16LE(at + 28) + out.readUInt16LE(at + 30) + out.readUInt16LE(at + 32);
  }
  return out;
}
