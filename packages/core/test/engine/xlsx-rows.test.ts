import { describe, expect, it } from "vitest";
import { NumberedMarkup } from "../../src/engine/formats/xlsx/numbered";
import { styles } from "../../src/engine/formats/xlsx/styles";
import { createXlsxWriter } from "../../src/engine/formats/xlsx/writer";
import { encodePage } from "../../src/engine/row-by-row";
import { productsResource } from "../../src/resources/products";
import { fieldsByName } from "../../src/resources/serialize";

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

describe("numbered markup (the row's number rewritten in place)", () => {
  it("holds each row's number, in sequence and after jumps, across every change of its length", () => {
    const markup = new NumberedMarkup();
    const cell = markup.piece('</v></c><c r="AB', '" t="inlineStr"><is><t>');
    const row = markup.piece('<row r="', '">');
    const rare = markup.piece("<x", ">");
    const check = (n: number) => {
      markup.setRow(n);
      expect(text(markup.bytes(cell))).toBe(`</v></c><c r="AB${n}" t="inlineStr"><is><t>`);
      expect(text(markup.bytes(row))).toBe(`<row r="${n}">`);
      // A piece used now and then (a column often NULL) is brought up to date when used.
      if (n % 13 === 0) expect(text(markup.bytes(rare))).toBe(`<x${n}>`);
    };
    for (let n = 1; n <= 12_000; n++) check(n);
    // A new sheet starts again at row 2; pages start anywhere.
    for (const n of [1_048_576, 2, 3, 99_999, 100_000, 100_001, 7, 1_000_000, 999_999, 1_000_000, 10])
      check(n);
    for (let n = 1_048_570; n <= 1_048_576; n++) check(n);
  });
});

describe("XLSX rows", () => {
  const fields = fieldsByName(productsResource, ["id", "name", "attributes", "is_active", "price"]);

  it("numbers rows and cells across digit changes and sheets; jsonb needing escapes is escaped", () => {
    const priceStyle = styles(fields).cellStyle[4];
    expect(priceStyle).toBeGreaterThan(0);
    const sheetRows = 150;
    const writer = createXlsxWriter(sheetRows);
    const records = Array.from({ length: 160 }, (_, i) => ({
      id: i + 1,
      name: i % 7 === 0 ? ` <b>&_x0041_ ${i}` : `Lamp ${i}`,
      attributes: i % 5 === 0 ? { note: `a<b & c>d _x0042_ ${i}` } : i % 5 === 1 ? null : { size: "M", n: i },
      is_active: i % 3 === 0,
      price: (i * 1.5).toFixed(2),
    }));
    // From row 0 in one page (rows 2 … 151, then a new sheet: 2 …), and from row 95 (97 …) in another.
    for (const first of [0, 95]) {
      const page = encodePage(writer, fields, records.slice(first), first);
      const expected = records
        .slice(first)
        .map((r, k) => {
          const n = ((first + k) % sheetRows) + 2;
          const escaped = (s: string) =>
            s
              .replaceAll("&", "&amp;")
              .replaceAll("<", "&lt;")
              .replaceAll(">", "&gt;")
              .replaceAll("_x", "_x005F_x");
          const str = (col: string, s: string) =>
            `<c r="${col}${n}" t="inlineStr"><is><t${s.startsWith(" ") ? ' xml:space="preserve"' : ""}>${escaped(s)}</t></is></c>`;
          return (
            `<row r="${n}"><c r="A${n}"><v>${r.id}</v></c>${str("B", r.name)}` +
            (r.attributes === null ? "" : str("C", JSON.stringify(r.attributes))) +
            `<c r="D${n}" t="b"><v>${r.is_active ? 1 : 0}</v></c><c r="E${n}" s="${priceStyle}"><v>${r.price}</v></c></row>\n`
          );
        })
        .join("");
      expect(page.data).toBe(expected);
    }
  });

  it("writes a restarted encoder's rows as a new one's: a run of pages reuses one (steps/copy-run.ts)", () => {
    const writer = createXlsxWriter(150);
    const records = Array.from({ length: 200 }, (_, i) => ({
      id: i + 1,
      name: `Lamp ${i}`,
      attributes: { n: i },
      is_active: i % 2 === 0,
      price: "1.50",
    }));
    const shared = writer.rowEncoder(fields, 0);
    const reusing = { ...writer, rowEncoder: () => shared };
    encodePage(reusing, fields, records.slice(0, 120), 0);
    // Restarted behind where it stopped, and ahead of it across the sheet's end.
    for (const first of [40, 140]) {
      shared.restart?.(first);
      const again = encodePage(reusing, fields, records.slice(first), first);
      expect(again.data).toBe(encodePage(writer, fields, records.slice(first), first).data);
    }
  });
});
