import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MAX_FILTER_FILE_BYTES } from "../src/contract";
import { env } from "../src/env";
import { DomainError } from "../src/errors";
import {
  checkFilterFile,
  type FilterFileOptions,
  parseFilterFile,
  safeFileName,
} from "../src/exports/filter-file";
import { productsResource } from "../src/resources/products";

const bytes = (text: string) => Buffer.from(text, "utf8");
/** What a file reads as: its key field, mode and identifiers in file order (repeats included; storage keeps one). */
function parse(text: string | Uint8Array, options?: FilterFileOptions) {
  const parsed = parseFilterFile(productsResource, typeof text === "string" ? bytes(text) : text, options);
  const identifiers = [...parsed.identifiers()];
  expect(parsed.count).toBe(identifiers.length);
  return { keyField: parsed.keyField, mode: parsed.mode, identifiers };
}

function rejection(content: string | Uint8Array, options?: FilterFileOptions): string[] {
  try {
    parse(content, options);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    const e = err as DomainError;
    expect(e.code).toBe("INVALID");
    expect(Object.keys(e.fields ?? {})).toEqual(["filter_file"]);
    const messages = e.fields?.filter_file ?? [];
    expect(messages.length).toBeGreaterThan(0);
    return messages;
  }
  throw new Error("expected the filter file to be rejected");
}

describe("filter file: one identifier per line", () => {
  it("takes each line as a value of the first key field (sku), trimmed, blank lines skipped", () => {
    expect(parse("SKU-1\nSKU-2\n\n  SKU-3  \n")).toEqual({
      keyField: "sku",
      mode: "lines",
      identifiers: ["SKU-1", "SKU-2", "SKU-3"],
    });
  });

  it("accepts CRLF, LF and lone CR line endings, and strips a UTF-8 BOM", () => {
    expect(parse("\uFEFFSKU-1\r\nSKU-2\rSKU-3\nSKU-4").identifiers).toEqual([
      "SKU-1",
      "SKU-2",
      "SKU-3",
      "SKU-4",
    ]);
  });

  it("reads repeats as they come (the database stores each identifier once)", () => {
    expect(parse("B\nA\nB\nC\nA\n").identifiers).toEqual(["B", "A", "B", "C", "A"]);
  });

  it("keeps non-ASCII identifiers as they are", () => {
    expect(parse("İSTANBUL-Ç\nşal-1\n").identifiers).toEqual(["İSTANBUL-Ç", "şal-1"]);
  });

  it("takes a single-column first line that names no key as an identifier", () => {
    expect(parse("code\nSKU-1\n")).toEqual({
      keyField: "sku",
      mode: "lines",
      identifiers: ["code", "SKU-1"],
    });
  });

  it("refuses an identifier longer than 255 characters, naming the line", () => {
    expect(rejection(`SKU-1\n${"x".repeat(256)}\n`)).toEqual([
      "Line 2: the value is longer than 255 characters.",
    ]);
  });
});

describe("filter file: CSV with a header naming the key column", () => {
  it("takes the sku column (case-insensitive, trimmed header), ignoring the others", () => {
    expect(parse('name, SKU ,stock\r\n"Mug, blue",SKU-9,3\r\nLamp,SKU-7,1\r\n\r\nMug,SKU-9,2\r\n')).toEqual({
      keyField: "sku",
      mode: "csv",
      identifiers: ["SKU-9", "SKU-7", "SKU-9"],
    });
  });

  it("takes an id column, normalising integers (007 → 7)", () => {
    expect(parse("\uFEFFid,name\n3,a\n007,b\n7,c\n+12,d\n")).toEqual({
      keyField: "id",
      mode: "csv",
      identifiers: ["3", "7", "7", "12"],
    });
  });

  it("prefers sku when the header names both keys", () => {
    expect(parse("id,sku\n1,SKU-5\n")).toEqual({ keyField: "sku", mode: "csv", identifiers: ["SKU-5"] });
  });

  it("accepts a header of the key alone", () => {
    expect(parse("sku\nSKU-1\nSKU-2\n")).toEqual({
      keyField: "sku",
      mode: "csv",
      identifiers: ["SKU-1", "SKU-2"],
    });
    expect(parse("ID\n5\n")).toEqual({ keyField: "id", mode: "csv", identifiers: ["5"] });
  });

  it("reads quoted cells with new lines, semicolon and tab delimiters", () => {
    expect(parse('note;sku\n"two\nlines";SKU-1\nx;SKU-2\n').identifiers).toEqual(["SKU-1", "SKU-2"]);
    expect(parse("sku\tname\nSKU-3\tx\n").identifiers).toEqual(["SKU-3"]);
  });

  it("skips rows whose key cell is empty or missing (ragged rows)", () => {
    expect(parse("name,sku\na,SKU-1\nb,\nc\nd,SKU-2\n").identifiers).toEqual(["SKU-1", "SKU-2"]);
  });

  it("refuses a non-integer or out-of-range id, naming each line", () => {
    expect(rejection("id\n1\nabc\n2.5\n2147483648\n-2147483649\n2147483647\n")).toEqual([
      'Line 3: "abc" is not a valid id (a whole number).',
      'Line 4: "2.5" is not a valid id (a whole number).',
      "Line 5: 2147483648 is out of range for id.",
      "Line 6: -2147483649 is out of range for id.",
    ]);
  });

  it("reports at most ten bad lines, then how many more", () => {
    const text = `id\n${Array.from({ length: 25 }, (_, i) => `x${i}`).join("\n")}\n`;
    const messages = rejection(text);
    expect(messages).toHaveLength(11);
    expect(messages[0]).toBe('Line 2: "x0" is not a valid id (a whole number).');
    expect(messages[10]).toBe("… and 15 more lines with errors.");
  });

  it("refuses a CSV header that names no key column", () => {
    expect(rejection("name,price\nMug,3\n")).toEqual([
      "The filter file has no column named sku or id. Name the key column in the first line, or upload one identifier per line.",
    ]);
    expect(rejection("name;price\nMug;3\n")[0]).toMatch(/^The filter file has no column named sku or id\./);
  });

  it("refuses CSV that does not parse (an unclosed quote)", () => {
    expect(rejection('sku,name\nSKU-1,"unclosed\n')[0]).toMatch(/^The filter file is not valid CSV: /);
  });
});

describe("filter file: wrong content", () => {
  it("refuses an empty file, or one with only blank lines or empty cells", () => {
    expect(rejection("")).toEqual(["The submitted file is empty."]);
    expect(rejection("\n \r\n\t\n")).toEqual(["The filter file contains no identifiers."]);
    expect(rejection("\uFEFF")).toEqual(["The filter file contains no identifiers."]);
    expect(rejection("sku,name\n,a\n")).toEqual(["The filter file contains no identifiers."]);
    expect(rejection("sku\n")).toEqual(["The filter file contains no identifiers."]);
  });

  it("refuses invalid UTF-8", () => {
    expect(rejection(Buffer.from([0x53, 0x4b, 0x55, 0xff, 0xfe, 0x0a]))).toEqual([
      "The filter file is not UTF-8 text. Upload a .txt or .csv file in UTF-8.",
    ]);
    // A UTF-16 file (as some Windows tools write) is not UTF-8 either.
    expect(rejection(Buffer.from("\uFEFFSKU-1\n", "utf16le"))[0]).toMatch(/not UTF-8|NUL/);
  });

  it("refuses NUL bytes (a binary file)", () => {
    expect(rejection(Buffer.from("SKU-1\n\0\0\0SKU-2\n"))).toEqual([
      "The filter file contains NUL bytes (a binary file?). Upload a .txt or .csv file.",
    ]);
  });

  it("refuses a file over 10 MB before reading it", () => {
    const big = Buffer.alloc(MAX_FILTER_FILE_BYTES + 1, 0x41);
    expect(rejection(big)).toEqual(["The filter file is too large (10 MB); the limit is 10 MB."]);
    // Exactly the limit is not too large (it is one long identifier, which is refused for its length).
    expect(rejection(Buffer.alloc(MAX_FILTER_FILE_BYTES, 0x41))).toEqual([
      "Line 1: the value is longer than 255 characters.",
    ]);
  });

  it("refuses more than FILTER_FILE_MAX_IDENTIFIERS identifiers (default a million; repeats count)", () => {
    const max = env().FILTER_FILE_MAX_IDENTIFIERS;
    expect(max).toBe(1_000_000);
    const ids = Array.from({ length: max + 1 }, (_, i) => String(i + 1));
    expect(Buffer.byteLength(`id\n${ids.join("\n")}`)).toBeLessThan(MAX_FILTER_FILE_BYTES);
    expect(rejection(`id\n${ids.join("\n")}\n`)).toEqual([
      "The filter file has more than 1,000,000 identifiers; split it into several exports.",
    ]);
    const exactly = `id\n${ids.slice(0, max).join("\n")}\n`;
    expect(parseFilterFile(productsResource, bytes(exactly)).count).toBe(max);
  });

  it("takes its cap from the setting (a smaller one here), counting repeats and skipping blank lines", () => {
    expect(parse("a\n\nb\n \nc\n", { maxIdentifiers: 3 }).identifiers).toEqual(["a", "b", "c"]);
    expect(rejection("a\nb\nc\na\n", { maxIdentifiers: 3 })).toEqual([
      "The filter file has more than 3 identifiers; split it into several exports.",
    ]);
  });

  // Issue 12: 10 MB of newlines once raised the peak RSS by ~365 MB (split into ten million lines).
  it.each([
    ["10 MB of newlines", "newlines", 0],
    ["a million ids", "ids", 1_000_000],
  ])("reads %s as a stream: the peak RSS grows by less than 80 MB", (_label, kind, count) => {
    const script = fileURLToPath(new URL("./fixtures/filter-file-rss.ts", import.meta.url));
    const out = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", script, kind], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
    });
    const result = JSON.parse(out) as { ok: boolean; read: number; peakRssPlusMB: number };
    expect(result.read).toBe(count);
    expect(result.ok).toBe(count > 0);
    expect(result.peakRssPlusMB).toBeLessThan(80);
  });

  it("reports problems without throwing through checkFilterFile", () => {
    expect(checkFilterFile(productsResource, bytes(""))).toEqual({
      ok: false,
      errors: ["The submitted file is empty."],
    });
  });
});

describe("safeFileName", () => {
  it("keeps [A-Za-z0-9._-], replaces the rest, drops directories and leading dots", () => {
    expect(safeFileName("skus.csv")).toBe("skus.csv");
    expect(safeFileName("../../etc/passwd")).toBe("passwd");
    expect(safeFileName("C:\\Users\\me\\Ürün listesi (1).csv")).toBe("Urun_listesi_1_.csv");
    expect(safeFileName(".hidden")).toBe("hidden");
    expect(safeFileName("..")).toBe("filter.txt");
    expect(safeFileName("")).toBe("filter.txt");
    expect(safeFileName("şal ürün İzmir.txt")).toBe("sal_urun_Izmir.txt");
  });

  it("caps the name at 100 characters, keeping a short extension", () => {
    const name = safeFileName(`${"a".repeat(300)}.csv`);
    expect(name).toHaveLength(100);
    expect(name.endsWith(".csv")).toBe(true);
    expect(safeFileName("b".repeat(300))).toHaveLength(100);
  });
});
