import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { parse as parseCsv } from "csv-parse/sync";
import { asc, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { DEFAULT_EXPORT_OPTIONS } from "../../src/contract";
import { products } from "../../src/db/schema";
import { writerOf } from "../../src/engine/formats";
import { headerLabels, rawValue } from "../../src/engine/formats/cells";
import { encodePage } from "../../src/engine/row-by-row";
import { DomainError } from "../../src/errors";
import { openDownload } from "../../src/exports/download";
import { resolveRequestPath } from "../../src/resources/request-path";
import { fieldsByName, selection } from "../../src/resources/serialize";
import { seedProducts } from "../../src/seed/products";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import {
  drain,
  engineDeps,
  expectedRows,
  exportRow,
  readResult,
  readXlsxWithExceljs,
  tempStorage,
} from "./helpers";

/**
 * Issue 17's options, each read back by a real parser: csv-parse with the delimiter, JSON.parse, exceljs for the
 * zone's local times, zlib and the gunzip program for gzip. On both storage backends (vitest.config.ts); on S3 the
 * CSV pages of a gzip export go straight into the result's upload (direct mode) as gzip members.
 */

let t: TestDatabase;
let alice: Actor;
const storage = tempStorage();
const onS3 = process.env.TEST_STORAGE === "s3";
const FIELDS = ["id", "sku", "name", "price", "is_active", "attributes", "created_date"];
const PATH = "/api/v1/products/";

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 450);
  // Names that need quotes with one delimiter and not another, a formula, a decimal to separate.
  await t.db.execute(sql`update products set name = 'a;b' where id = 1`);
  await t.db.execute(sql`update products set name = 'tab' || chr(9) || 'in' where id = 2`);
  await t.db.execute(sql`update products set name = 'comma, inside' where id = 3`);
  await t.db.execute(sql`update products set name = '=SUM(A1)', price = 1234.5 where id = 4`);
  // Across a DST change in a zone that has one, and a date of a historical (seconds) offset.
  await t.db.execute(sql`update products set created_date = '2025-03-30 00:59:59.999+00' where id = 5`);
  await t.db.execute(sql`update products set created_date = '2025-03-30 01:00:00+00' where id = 6`);
  await t.db.execute(sql`update products set created_date = '1874-12-07 12:00:00.5+00' where id = 7`);
});

afterAll(async () => {
  await t?.destroy();
});

async function run(input: Record<string, unknown>, config = {}) {
  const created = await createTestExport(t.db, alice, {
    request_path: PATH,
    request_fields: FIELDS,
    ...input,
  });
  await drain(engineDeps(t, storage, { pageSize: 200, ...config }));
  const row = await exportRow(t.db, created.id);
  expect(row.status).toBe("completed");
  return { created, row, data: await readResult(storage, row) };
}

/** The gzip file read by the gunzip program (which reads every member), as well as zlib. */
function gunzipBoth(data: Buffer): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), "gz-"));
  const file = path.join(dir, "file.gz");
  writeFileSync(file, data);
  const byProgram = execFileSync("gunzip", ["-c", file]);
  const byZlib = gunzipSync(data);
  expect(byProgram.equals(byZlib)).toBe(true);
  return byZlib;
}

/** What the list says, as the expected file compares it. */
async function listed(row: Awaited<ReturnType<typeof exportRow>>) {
  return expectedRows(t.db, row);
}

/** An ISO date-time with offset, its instant and offset checked against the list's UTC value. */
function expectZoned(text: string, utc: string, offset: string) {
  expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}(:\d{2})?$/);
  expect(text.slice(23)).toBe(offset);
  if (offset.length === 6) expect(new Date(text).toISOString()).toBe(utc);
}

/** The offset Europe/Berlin has at an instant: CET or CEST, the switch at 01:00 UTC on 2025-03-30. */
function berlinOffset(utc: string): string {
  const t0 = Date.parse(utc);
  if (utc.startsWith("1874")) return "+00:53:28";
  const summer =
    (t0 >= Date.parse("2025-03-30T01:00:00Z") && t0 < Date.parse("2025-10-26T01:00:00Z")) ||
    (t0 >= Date.parse("2024-03-31T01:00:00Z") && t0 < Date.parse("2024-10-27T01:00:00Z")) ||
    (t0 >= Date.parse("2026-03-29T01:00:00Z") && t0 < Date.parse("2026-10-25T01:00:00Z"));
  return summer ? "+02:00" : "+01:00";
}

describe("CSV options", () => {
  it("writes the delimiter, the decimal comma and the zone, with the zone in the header, read back by csv-parse", async () => {
    const options = { delimiter: ";", decimal_separator: ",", timezone: "Europe/Berlin" };
    const { created, row, data } = await run({ options });
    expect(created.options).toEqual({ ...DEFAULT_EXPORT_OPTIONS, ...options });
    const text = data.toString("utf8");
    expect(text.startsWith("\uFEFF")).toBe(true);
    const [header, ...body] = parseCsv(text.slice(1), { delimiter: ";" }) as string[][];
    const { fields, records } = await listed(row);
    expect(header).toEqual(
      headerLabels(fields, "en").map((l, i) => (fields[i]?.type === "datetime" ? `${l} (Europe/Berlin)` : l)),
    );
    expect(body).toHaveLength(records.length);
    body.forEach((cells, r) => {
      const record = records[r] as Record<string, unknown>;
      expect(cells[0]).toBe(String(record.id));
      expect(cells[1]).toBe(record.sku);
      const name = String(record.name);
      expect(cells[2]).toBe(name.startsWith("=") ? `'${name}` : name);
      expect(cells[3]).toBe(String(record.price).replace(".", ","));
      expect(cells[4]).toBe(String(record.is_active));
      expect(cells[5]).toBe(JSON.stringify(record.attributes));
      const utc = String(record.created_date);
      expectZoned(cells[6] as string, utc, berlinOffset(utc));
    });
    // A `;` inside a name is quoted, a comma is not (it is no delimiter here).
    expect(text).toContain(`;"a;b";`);
    expect(text).toContain(`;comma, inside;`);
    expect(text).toContain(`;1234,50;`);
    // The last CET instant and the first CEST one: the wall clock jumps from 01:59:59.999 to 03:00.
    expect(text).toContain("2025-03-30T01:59:59.999+01:00");
    expect(text).toContain("2025-03-30T03:00:00.000+02:00");
    expect(text).toContain("1874-12-07T12:53:28.500+00:53:28");
  });

  it("writes tabs, no header, gzip (.csv.gz, application/gzip): gunzip gives the same CSV as without gzip", async () => {
    const options = { delimiter: "\t", include_header: false };
    const plain = await run({ options });
    const gz = await run({ options: { ...options, compression: "gzip" } });
    expect(gz.created.options.compression).toBe("gzip");
    expect(gz.row.uploadedParts).toEqual([]);
    const text = gunzipBoth(gz.data);
    expect(text.equals(plain.data)).toBe(true);
    const rows = parseCsv(text.toString("utf8").slice(1), { delimiter: "\t" }) as string[][];
    const { records } = await listed(gz.row);
    expect(rows.map((r) => r[0])).toEqual(records.map((r) => String(r.id)));
    expect(rows[1]?.[2]).toBe("tab\tin");
    expect(plain.data.toString("utf8")).toContain('\t"tab\tin"\t');
    const download = await openDownload(t.db, storage, alice, gz.created.id);
    expect(download.filename).toMatch(/^products-export-\d{8}-\d{6}-[0-9a-f]{8}\.csv\.gz$/);
    expect(download.contentType).toBe("application/gzip");
  });

  it("writes a gzip export of pages written straight into the result's upload on S3 (direct mode)", async () => {
    // Pages of 300 rows: over the test server's minimum part (4 KiB) even compressed.
    const options = { delimiter: ";", decimal_separator: ",", compression: "gzip" };
    const gz = await run({ options, request_fields: [] }, { pageSize: 300 });
    const plain = await run(
      { options: { ...options, compression: "none" }, request_fields: [] },
      { pageSize: 300 },
    );
    // Completed by the upload its pages were written into: the result is the upload's key.
    if (onS3) expect(gz.row.resultKey).toBe(gz.row.directKey);
    expect(gunzipBoth(gz.data).equals(plain.data)).toBe(true);
  });

  it("gives the row-by-row path the same bytes as the COPY path, the zone's included", async () => {
    const options = { delimiter: ";", decimal_separator: ",", timezone: "Asia/Kolkata" };
    const { row, data } = await run({ options });
    const { resource } = resolveRequestPath(row.requestPath);
    const fields = fieldsByName(resource, FIELDS);
    const records = await t.db.select(selection(fields)).from(products).orderBy(asc(products.id));
    const page = encodePage(writerOf(row), fields, records);
    const body = data.toString("utf8");
    expect(body.slice(body.indexOf("\r\n") + 2)).toBe(page.data);
    expect(body).toContain("Created (Asia/Kolkata)");
    expect(body).toContain("2025-03-30T06:30:00.000+05:30");
  });
});

describe("JSON options", () => {
  it("writes date-times in the zone and gzip (.json.gz): the rest is the list's values", async () => {
    const { created, row, data } = await run({
      format_type: "json",
      options: { timezone: "Europe/Istanbul", compression: "gzip", delimiter: ";", include_header: false },
    });
    const parsed = JSON.parse(gunzipBoth(data).toString("utf8")) as Record<string, unknown>[];
    const { records } = await listed(row);
    const pick = (r: Record<string, unknown>) => ({
      ...Object.fromEntries(FIELDS.map((f) => [f, r[f]])),
      created_date: null,
    });
    expect(parsed.map(pick)).toEqual(records.map(pick));
    parsed.forEach((r, i) => {
      const utc = String(records[i]?.created_date);
      expectZoned(String(r.created_date), utc, utc.startsWith("1874") ? "+01:55:52" : "+03:00");
    });
    const download = await openDownload(t.db, storage, alice, created.id);
    expect(download.filename).toMatch(/\.json\.gz$/);
  });

  it("keeps a gzip JSON export's bytes those of the plain one, one page or many, and an empty one", async () => {
    for (const path of [PATH, `${PATH}?id__lte=3`, `${PATH}?id__lte=0`]) {
      const plain = await run({ request_path: path, format_type: "json" });
      const gz = await run({ request_path: path, format_type: "json", options: { compression: "gzip" } });
      expect(gunzipBoth(gz.data).equals(plain.data)).toBe(true);
    }
  });
});

describe("the row-by-row path in a zone", () => {
  it("writes JSON's date-times as the COPY path does", async () => {
    const { row, data } = await run({ format_type: "json", options: { timezone: "America/New_York" } });
    const { resource } = resolveRequestPath(row.requestPath);
    const fields = fieldsByName(resource, FIELDS);
    const records = await t.db.select(selection(fields)).from(products).orderBy(asc(products.id));
    const page = encodePage(writerOf(row), fields, records);
    expect(`[\n${page.data.slice(0, -2)}\n]\n`).toBe(data.toString("utf8"));
    expect(page.data).toContain('"created_date":"2025-03-29T20:59:59.999-04:00"');
  });

  it("gives XLSX's serial days of the zone's wall clock as PostgreSQL computes them", async () => {
    const writer = writerOf({
      formatType: "xls",
      options: { ...DEFAULT_EXPORT_OPTIONS, timezone: "Europe/Berlin" },
    });
    expect(writer.zone).toBe("Europe/Berlin");
    for (const at of [
      "2025-03-30T00:59:59.999Z",
      "2025-03-30T01:00:00Z",
      "1874-12-07T12:00:00.5Z",
      "2025-10-26T00:30:00Z",
    ]) {
      const { rows } = await t.pool.query<{ serial: number }>(
        "select date_part('epoch', $1::timestamptz at time zone 'Europe/Berlin') / 86400 + 25569 as serial",
        [at],
      );
      const ours = Number(rawValue("datetime", new Date(at), "serial", "Europe/Berlin"));
      expect(Math.abs(ours - Number(rows[0]?.serial))).toBeLessThan(1e-9);
    }
  });
});

describe("XLSX options", () => {
  it("writes date-times as the zone's local times, the zone in the header; no header row when asked", async () => {
    const withHeader = await run({ format_type: "xls", options: { timezone: "Europe/Istanbul" } });
    const [sheet = []] = await readXlsxWithExceljs(withHeader.data);
    const { fields, records } = await listed(withHeader.row);
    expect(sheet[0]?.[6]).toBe(`${headerLabels(fields, "en")[6]} (Europe/Istanbul)`);
    const shift = (utc: string) =>
      Date.parse(utc) + (utc.startsWith("1874") ? (1 * 3600 + 55 * 60 + 52) * 1000 : 3 * 3600_000);
    sheet.slice(1).forEach((cells, i) => {
      // exceljs reads a serial day as a UTC Date: the local wall clock's.
      expect((cells[6] as Date).getTime()).toBe(shift(String(records[i]?.created_date)));
      expect(cells[3]).toBe(Number(records[i]?.price));
    });
    const headless = await run({
      format_type: "xls",
      options: { timezone: "Europe/Istanbul", include_header: false },
    });
    const [rows = []] = await readXlsxWithExceljs(headless.data);
    expect(rows).toEqual(sheet.slice(1));
  });
});

describe("options on create", () => {
  async function errorOf(input: Record<string, unknown>) {
    try {
      await createTestExport(t.db, alice, { request_path: PATH, ...input });
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      return (err as DomainError).body();
    }
    throw new Error("expected a 400");
  }

  it("refuses a decimal comma with a comma delimiter, gzip for XLSX, an unknown zone or key", async () => {
    expect(await errorOf({ options: { decimal_separator: "," } })).toEqual({
      options: ['A decimal comma needs a delimiter other than ",": use ";" or a tab.'],
    });
    expect(await errorOf({ format_type: "xls", options: { compression: "gzip" } })).toEqual({
      options: ['compression "gzip" is for CSV and JSON; an XLSX file is compressed already.'],
    });
    expect((await errorOf({ options: { timezone: "CEST" } })).options).toHaveLength(1);
    expect(Object.keys(await errorOf({ options: { delimter: ";" } }))).toEqual(["options"]);
    expect(Object.keys(await errorOf({ options: "gzip" }))).toEqual(["options"]);
  });

  it("fills in the defaults, or the language's with language_defaults, the zone's name made canonical", async () => {
    const plain = await createTestExport(t.db, alice, { request_path: `${PATH}?id=1` });
    expect(plain.options).toEqual(DEFAULT_EXPORT_OPTIONS);
    const tr = await createTestExport(t.db, alice, {
      request_path: `${PATH}?id=2`,
      language: "tr",
      options: { language_defaults: true, compression: "gzip" },
    });
    expect(tr.options).toEqual({
      delimiter: ";",
      decimal_separator: ",",
      timezone: "Europe/Istanbul",
      include_header: true,
      compression: "gzip",
    });
    const comma = await createTestExport(t.db, alice, {
      request_path: `${PATH}?id=3`,
      language: "tr",
      options: { language_defaults: true, delimiter: ",", timezone: "europe/berlin" },
    });
    expect(comma.options).toMatchObject({
      delimiter: ",",
      decimal_separator: ".",
      timezone: "Europe/Berlin",
    });
    // Without language_defaults a Turkish export is written as today.
    const trPlain = await createTestExport(t.db, alice, { request_path: `${PATH}?id=4`, language: "tr" });
    expect(trPlain.options).toEqual(DEFAULT_EXPORT_OPTIONS);
  });

  it("tells apart two otherwise identical exports by their options (not the same export in flight)", async () => {
    const a = await createTestExport(t.db, alice, { request_path: `${PATH}?id=9` });
    const b = await createTestExport(t.db, alice, {
      request_path: `${PATH}?id=9`,
      options: { delimiter: ";" },
    });
    const c = await createTestExport(t.db, alice, {
      request_path: `${PATH}?id=9`,
      options: { delimiter: ";" },
    });
    expect(b.id).not.toBe(a.id);
    expect(c.id).toBe(b.id);
    await drain(engineDeps(t, storage));
  });
});
