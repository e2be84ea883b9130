import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import type { ExportFormat } from "../../src/contract";
import { seedOrders } from "../../src/seed/orders";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import {
  drain,
  engineDeps,
  expectFileToEqualListedRecords,
  exportRow,
  parseCsvFile,
  parseXlsxFile,
  readResult,
  readXlsxWithSheetJs,
  tempStorage,
} from "./helpers";

let t: TestDatabase;
let alice: Actor;
const storage = tempStorage();

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedOrders(t.db, 2345);
});

afterAll(async () => {
  await t?.destroy();
});

/** Runs an export of `path` to completion and returns its row and file. */
async function runExport(path: string, format: ExportFormat, fields: string[] = [], language = "en") {
  const created = await createTestExport(t.db, alice, {
    request_path: path,
    request_fields: fields,
    format_type: format,
    language,
  });
  await drain(engineDeps(t, storage, { pageSize: 97 }));
  const row = await exportRow(t.db, created.id);
  expect(row.status).toBe("completed");
  return { row, data: await readResult(storage, row) };
}

const CASES: Array<{ path: string; fields?: string[] }> = [
  { path: "/api/v1/orders/" },
  { path: "/api/v1/orders/?status=refunded", fields: ["number", "amount", "customer_email", "status"] },
  {
    path: "/api/v1/orders/?customer_email__icontains=%40example.invalid",
    fields: ["customer_email", "amount", "modified_date"],
  },
  {
    path: "/api/v1/orders/?status__in=paid,shipped&amount__gte=1000&amount__lt=5000&currency__in=TRY,EUR",
    fields: ["id", "status", "amount", "currency"],
  },
  {
    path: "/api/v1/orders/?item_count__in=1,12&created_date__date__gte=2025-01-02",
    fields: ["number", "item_count", "created_date", "modified_date"],
  },
  { path: "/api/v1/orders/?amount__lt=0&amount__gt=-2500.5&ordering=-id", fields: ["amount", "id"] },
  { path: "/api/v1/orders/?id__gt=2300&limit=5&page=2", fields: ["id", "number"] },
  { path: "/api/v1/orders/?amount__lt=-20000" },
];
const FORMATS: ExportFormat[] = ["csv", "json", "xls"];

/**
 * The invariant (SPEC §3) for the second resource: a completed export of orders holds exactly the records
 * its request_path lists, across all pages, in id order, with the requested fields, read back with a real
 * parser.
 */
describe.each(FORMATS)("%s exports of orders equal the listed records", (format) => {
  it.each(CASES)("$path", async ({ path, fields }) => {
    const { row } = await runExport(path, format, fields, format === "xls" ? "tr" : "en");
    expect(row.viewset).toBe("OrderViewSet");
    expect(row.actionName).toBe("export_orders");
    expect(row.uploadedParts).toEqual([]);
    await expectFileToEqualListedRecords(t.db, storage, row);
  });
});

describe("formula-like text: neutralised in CSV only, exact in JSON and XLSX; numbers stay numbers", () => {
  const PATH = "/api/v1/orders/?id__in=997,1000,1994,5";
  const FIELDS = ["number", "customer_email", "amount", "status"];
  const HOSTILE = ["-iade.997@örnek.com.tr", "+905000001000@example.invalid", "-iade.1994@örnek.com.tr"];

  it("CSV: a text cell starting with + or - gets an apostrophe; a negative amount stays a number", async () => {
    const { data } = await runExport(PATH, "csv", FIELDS);
    expect(parseCsvFile(data)).toEqual([
      ["Order Number", "Customer Email", "Amount", "Status"],
      ["ORD-00000005", expect.stringMatching(/^[a-z]+\.\d+@example\.com$/), "-4492.92", "refunded"],
      ["ORD-00000997", "'-iade.997@örnek.com.tr", expect.stringMatching(/^\d+\.\d{2}$/), "paid"],
      ["ORD-00001000", "'+905000001000@example.invalid", expect.stringMatching(/^\d+\.\d{2}$/), "cancelled"],
      ["ORD-00001994", "'-iade.1994@örnek.com.tr", expect.stringMatching(/^\d+\.\d{2}$/), "shipped"],
    ]);
  });

  it("JSON: the text exactly as the list has it, no apostrophe; amounts as the API's decimal strings", async () => {
    const { data } = await runExport(PATH, "json", FIELDS);
    const parsed = JSON.parse(data.toString("utf8")) as Record<string, string>[];
    expect(parsed.slice(1).map((r) => r.customer_email)).toEqual(HOSTILE);
    expect(parsed[0]?.amount).toBe("-4492.92");
  });

  it("XLSX: a negative amount is a numeric cell; the hostile emails are string cells, exactly the text", async () => {
    const { data } = await runExport(PATH, "xls", FIELDS, "tr");
    const [header, ...body] = await parseXlsxFile(data);
    expect(header).toEqual(["Sipariş No", "Müşteri E-postası", "Tutar", "Durum"]);
    expect(body[0]?.[2]).toBe(-4492.92);
    expect(body.map((r) => typeof r[2])).toEqual(["number", "number", "number", "number"]);
    expect(body.slice(1).map((r) => r[1])).toEqual(HOSTILE);
    const [sheet] = readXlsxWithSheetJs(data);
    expect(sheet?.slice(2).map((r) => r[1])).toEqual(HOSTILE);
    // Strings, never formulas.
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(data as unknown as ArrayBuffer);
    const cells = [3, 4, 5].map((r) => workbook.worksheets[0]?.getRow(r).getCell(2));
    expect(cells.map((c) => c?.type)).toEqual([
      ExcelJS.ValueType.String,
      ExcelJS.ValueType.String,
      ExcelJS.ValueType.String,
    ]);
  });
});
