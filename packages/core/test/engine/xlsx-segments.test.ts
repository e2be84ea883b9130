import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import { crc32, inflateRawSync } from "node:zlib";
import ExcelJS from "exceljs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as XLSX from "xlsx";
import { crc32Combine } from "../../src/engine/formats/crc32";
import {
  decodeTrailer,
  deflateText,
  SEGMENT_TRAILER_BYTES,
  segmentStages,
} from "../../src/engine/formats/segment";
import type { FileSegment, PartFile } from "../../src/engine/formats/types";
import { createXlsxWriter } from "../../src/engine/formats/xlsx/writer";
import { encodePage } from "../../src/engine/row-by-row";
import { productsResource } from "../../src/resources/products";
import { fieldsByName } from "../../src/resources/serialize";
import { LocalStorage } from "../../src/storage";
import {
  asExceljsReads,
  decodeLikeLibreOffice,
  hostileText,
  readXlsxWithExceljs,
  readXlsxWithSheetJs,
} from "./helpers";

/** Bytes through a page's part stages, as a part file holds them. */
async function segmentOf(data: Buffer, sheet: number): Promise<Buffer> {
  const out = new PassThrough();
  const [collected] = await Promise.all([
    buffer(out),
    pipeline([Readable.from([data]), ...segmentStages(sheet), out]),
  ]);
  return collected;
}

function memoryPart(data: Buffer): PartFile {
  return {
    read: (range) => Readable.from([range ? data.subarray(range.start, range.end) : data]),
    size: async () => data.length,
  };
}

/** The file a layout describes, its parts' ranges taken from memory. */
function inMemory(layout: FileSegment[], parts: Buffer[]): Buffer {
  return Buffer.concat(
    layout.map((s) => ("bytes" in s ? s.bytes : (parts[s.part] ?? Buffer.alloc(0)).subarray(s.start, s.end))),
  );
}

/** Each entry of a (non-ZIP64) zip, inflated, by name: read from its central directory. */
function unzip(zip: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let p = zip.readUInt32LE(eocd + 16);
  const count = zip.readUInt16LE(eocd + 10);
  for (let i = 0; i < count; i++) {
    const crc = zip.readUInt32LE(p + 16);
    const compressed = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const offset = zip.readUInt32LE(p + 42);
    const name = zip.toString("utf8", p + 46, p + 46 + nameLength);
    const start = offset + 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28);
    const data = inflateRawSync(zip.subarray(start, start + compressed));
    expect(data.length, name).toBe(size);
    expect(crc32(data), name).toBe(crc);
    entries.set(name, data);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

describe("crc32Combine", () => {
  it("gives zlib's CRC-32 of the joined bytes", () => {
    for (const [a, b] of [
      [0, 0],
      [0, 7],
      [5, 0],
      [1, 1],
      [100, 3],
      [4096, 70_001],
      [3, 1 << 20],
    ] as const) {
      const x = randomBytes(a);
      const y = randomBytes(b);
      expect(crc32Combine(crc32(x), crc32(y), b)).toBe(crc32(Buffer.concat([x, y])));
    }
  });

  it("joins many pieces in order", () => {
    const pieces = Array.from({ length: 20 }, (_, i) => randomBytes(i * 37 + 1));
    let crc = 0;
    for (const piece of pieces) crc = crc32Combine(crc, crc32(piece), piece.length);
    expect(crc).toBe(crc32(Buffer.concat(pieces)));
  });
});

describe("deflate segments", () => {
  it("from separate compressors, sync-flushed and joined before a finished last one, inflate to the whole text", async () => {
    const texts = ["<row>a</row>\n".repeat(5000), randomBytes(50_000).toString("base64"), "x", "<row/>\n"];
    const parts = await Promise.all(texts.map((t) => segmentOf(Buffer.from(t), 0)));
    const head = deflateText("<head>", false);
    const tail = deflateText("</tail>", true);
    let crc = head.crc;
    const joined: Buffer[] = [head.data];
    parts.forEach((part, i) => {
      const info = decodeTrailer(part.subarray(part.length - SEGMENT_TRAILER_BYTES));
      if (!info) throw new Error("no trailer");
      const text = Buffer.from(texts[i] ?? "");
      expect(info).toEqual({
        sheet: 0,
        crc: crc32(text),
        size: text.length,
        compressed: part.length - SEGMENT_TRAILER_BYTES,
      });
      crc = crc32Combine(crc, info.crc, info.size);
      joined.push(part.subarray(0, info.compressed));
    });
    crc = crc32Combine(crc, tail.crc, tail.size);
    joined.push(tail.data);
    const whole = `<head>${texts.join("")}</tail>`;
    const inflated = inflateRawSync(Buffer.concat(joined));
    expect(inflated.toString()).toBe(whole);
    expect(crc).toBe(crc32(Buffer.from(whole)));
  });

  it("a part without a trailer is not taken for one", () => {
    expect(decodeTrailer(Buffer.from("</row>\n".repeat(4)))).toBeNull();
  });
});

describe("an XLSX export split into sheets", () => {
  const SHEET_ROWS = 5;
  const writer = createXlsxWriter(SHEET_ROWS);
  const fields = fieldsByName(productsResource, ["id", "sku", "name", "price", "is_active", "created_date"]);
  const records = Array.from({ length: 13 }, (_, i) => ({
    id: i + 1,
    sku: `SKU-${i + 1}`,
    name: i === 3 ? "=cmd|' /C calc'!A0" : ` Lamp & "shade" ${i + 1}`,
    price: (i * 1.25).toFixed(2),
    is_active: i % 2 === 0,
    created_date: new Date(Date.UTC(2024, 0, 1 + i, 12, 30)),
  }));

  /** Pages as the engine cuts them: at most `pageSize` rows, never across a sheet's end. */
  function pages(pageSize: number) {
    const out: Array<{ first: number; rows: typeof records }> = [];
    let at = 0;
    while (at < records.length) {
      const limit = writer.pageLimit?.(at, pageSize) ?? pageSize;
      out.push({ first: at, rows: records.slice(at, at + limit) });
      at += limit;
    }
    return out;
  }

  async function assemble(parts: Buffer[], rows = records.length) {
    const layout = await writer.layout({
      fields,
      language: "en",
      rows,
      parts: async function* () {
        for (const p of parts) yield memoryPart(p);
      },
    });
    return inMemory(layout, parts);
  }

  it("pages stop at a sheet's end; sheets hold 5, 5 and 3 rows, each with the header, read back by exceljs", async () => {
    const cut = pages(4);
    expect(cut.map((p) => p.rows.length)).toEqual([4, 1, 4, 1, 3]);
    const parts = await Promise.all(
      cut.map(async ({ first, rows }) => {
        const page = encodePage(writer, fields, rows, first);
        return segmentOf(Buffer.from(page.data), Math.floor(first / SHEET_ROWS));
      }),
    );
    const file = await assemble(parts);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(file as unknown as ArrayBuffer);
    const sheets: unknown[][][] = [];
    workbook.eachSheet((sheet) => {
      const rows: unknown[][] = [];
      sheet.eachRow((r) => {
        rows.push((r.values as unknown[]).slice(1));
      });
      sheets.push(rows);
    });
    expect(sheets.map((s) => s.length)).toEqual([6, 6, 4]);
    const body = sheets.flatMap(([header, ...rows]) => {
      expect(header).toEqual(["ID", "SKU", "Name", "Price", "Active", "Created"]);
      return rows;
    });
    expect(body).toEqual(
      records.map((r) => [r.id, r.sku, r.name, Number(r.price), r.is_active, r.created_date]),
    );
  });

  it("its layout, composed by storage, is the assembled workbook, with the sheets' data left in the parts", async () => {
    const cut = pages(4);
    const parts = await Promise.all(
      cut.map(({ first, rows }) =>
        segmentOf(Buffer.from(encodePage(writer, fields, rows, first).data), Math.floor(first / SHEET_ROWS)),
      ),
    );
    const storage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-xlsx-layout-")));
    const keys = parts.map((_, i) => `parts/x/${i}`);
    for (const [i, data] of parts.entries()) {
      const file = await storage.create(keys[i] ?? "");
      file.stream.end(data);
      await file.commit();
    }
    const layout = await writer.layout({
      fields,
      language: "en",
      rows: records.length,
      parts: async function* () {
        for (const key of keys)
          yield { read: (range) => storage.read(key, range), size: () => storage.size(key) };
      },
    });
    const ranges = layout.flatMap((s) => ("part" in s ? [s] : []));
    expect(ranges.map((s) => s.part)).toEqual(parts.map((_, i) => i));
    await storage.compose(
      "results/x.xlsx",
      layout.map((s) => ("bytes" in s ? s : { key: keys[s.part] ?? "", start: s.start, end: s.end })),
    );
    const composed = Buffer.concat(await storage.read("results/x.xlsx").toArray());
    const assembled = await assemble(parts);
    expect(composed.length).toBe(assembled.length);
    const [mine, theirs] = [unzip(composed), unzip(assembled)];
    expect([...mine.keys()]).toEqual([...theirs.keys()]);
    for (const [name, data] of mine)
      expect(data.equals(theirs.get(name) ?? Buffer.alloc(0)), name).toBe(true);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(composed as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((w) => w.rowCount)).toEqual([6, 6, 4]);
  });

  it("refuses a part without a segment trailer", async () => {
    const raw = pages(4).map(({ first, rows }) => Buffer.from(encodePage(writer, fields, rows, first).data));
    await expect(assemble(raw)).rejects.toThrow("a part has no segment trailer");
  });

  it("an export without rows is one sheet with the header", async () => {
    const entries = unzip(await assemble([], 0));
    expect(entries.get("xl/worksheets/sheet1.xml")?.toString()).toContain('<sheetData>\n<row r="1">');
    expect(entries.get("xl/worksheets/sheet1.xml")?.toString()).toContain('<dimension ref="A1:F1"/>');
    expect(entries.has("xl/worksheets/sheet2.xml")).toBe(false);
  });

  it("each sheet declares its dimension", async () => {
    const cut = pages(4);
    const raw = cut.map(({ first, rows }) => Buffer.from(encodePage(writer, fields, rows, first).data));
    const segmented = await Promise.all(
      raw.map((data, i) => segmentOf(data, Math.floor((cut[i]?.first ?? 0) / SHEET_ROWS))),
    );
    const entries = unzip(await assemble(segmented));
    const dimensions = [1, 2, 3].map(
      (n) =>
        /<dimension ref="([^"]+)"\/>/.exec(entries.get(`xl/worksheets/sheet${n}.xml`)?.toString() ?? "")?.[1],
    );
    expect(dimensions).toEqual(["A1:F6", "A1:F6", "A1:F4"]);
    // SheetJS reads each sheet over its dimension: every row is there.
    expect(readXlsxWithSheetJs(await assemble(segmented)).map((s) => s.length)).toEqual([6, 6, 4]);
  });

  it("decimals show their scale and date-times their seconds: number formats in styles.xml", async () => {
    const parts = await Promise.all(
      pages(4).map(({ first, rows }) =>
        segmentOf(Buffer.from(encodePage(writer, fields, rows, first).data), Math.floor(first / SHEET_ROWS)),
      ),
    );
    const file = await assemble(parts);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(file as unknown as ArrayBuffer);
    const row = workbook.worksheets[0]?.getRow(3);
    expect(row?.getCell(4).value).toBe(1.25);
    expect(row?.getCell(4).numFmt).toBe("0.00");
    expect(row?.getCell(6).numFmt).toBe("yyyy-mm-dd hh:mm:ss.000");
    expect(row?.getCell(1).numFmt).toBeUndefined();
    // As a spreadsheet shows them (SheetJS formats cells as Excel does).
    const sheet = XLSX.read(file, { type: "buffer" }).Sheets.Export;
    expect(sheet?.D3?.w).toBe("1.25");
    expect(sheet?.D2?.w).toBe("0.00");
    expect(sheet?.F3?.w).toBe("2024-01-02 12:30:00.000");
  });
});

describe("XLSX text cells", () => {
  const writer = createXlsxWriter();
  const fields = fieldsByName(productsResource, ["id", "name", "attributes"]);

  /** A workbook of one page whose rows hold these names, and each as the one value of a JSON object. */
  async function workbookOf(names: string[]) {
    const rows = names.map((name, i) => ({ id: i + 1, name, attributes: { [name]: name } }));
    const page = encodePage(writer, fields, rows, 0);
    expect(page.failed).toBe(0);
    const part = await segmentOf(Buffer.from(page.data), 0);
    const layout = await writer.layout({
      fields,
      language: "en",
      rows: rows.length,
      parts: async function* () {
        yield memoryPart(part);
      },
    });
    return inMemory(layout, [part]);
  }

  it("hold exactly the text, whatever its characters: read back by exceljs (decoded as Excel and as LibreOffice do) and by SheetJS (random strings)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostileText({ nul: true }), { minLength: 1, maxLength: 40 }),
        async (names) => {
          const file = await workbookOf(names);
          const expected = names.map((name, i) => [i + 1, name, JSON.stringify({ [name]: name })]);
          for (const [[sheet], cells] of [
            [await readXlsxWithExceljs(file), asExceljsReads(expected)],
            [await readXlsxWithExceljs(file, decodeLikeLibreOffice), asExceljsReads(expected)],
            [readXlsxWithSheetJs(file), expected],
          ] as const) {
            expect(sheet?.[0]).toEqual(["ID", "Name", "Attributes"]);
            expect(sheet?.slice(1).map((r) => [r[0], r[1], r[2]])).toEqual(cells);
          }
        },
      ),
      { seed: 20261212, numRuns: 60 },
    );
  });

  it("are inline strings, never formulas: no apostrophe; control characters and a literal _xHHHH_ escaped", async () => {
    const names = [
      "=SUM(A1:A2)",
      "\t+1",
      "a\r\nb",
      "_x0041_",
      "_x0041\t",
      "_x12\u000b",
      "_x41_ _x0041 _X0041_ a_b _x_",
      "\u0001\u001f\u007f",
      "\ufffe\uffff",
      " x ",
    ];
    const xml =
      unzip(await workbookOf(names))
        .get("xl/worksheets/sheet1.xml")
        ?.toString() ?? "";
    const cells = [
      ...xml.matchAll(/<c r="B\d+" t="inlineStr"><is><t( xml:space="preserve")?>(.*?)<\/t><\/is><\/c>/g),
    ];
    expect(cells.map((m) => m[2])).toEqual([
      "=SUM(A1:A2)",
      "_x0009_+1",
      "a_x000D__x000A_b",
      "_x005F_x0041_",
      "_x005F_x0041_x0009_",
      "_x005F_x12_x000B_",
      "_x005F_x41_ _x0041 _x005F_X0041_ a_b _x_",
      "_x0001__x001F_\u007f",
      "_xFFFE__xFFFF_",
      " x ",
    ]);
    expect(cells.map((m) => m[1] !== undefined)).toEqual([...names.map(() => false).slice(1), true]);
    expect(xml).not.toContain("<f>");
  });
});
