import { json as jsonColumn, pgTable } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { PageRows, parseRow } from "../../src/engine/copy/parse";
import { ByteWriter } from "../../src/engine/formats/bytes";
import type { RowEncoder } from "../../src/engine/formats/types";
import { createXlsxWriter } from "../../src/engine/formats/xlsx/writer";
import { copyLines } from "../../src/engine/row-by-row";
import { ordersResource } from "../../src/resources/orders";
import { productsResource } from "../../src/resources/products";
import { fieldsByName } from "../../src/resources/serialize";
import type { ResourceField } from "../../src/resources/types";
import { seededRandom } from "./helpers";

/** COPY's lines through the encoder's line encoder where it takes them, else parsed and row-encoded (`CopyRows`). */
function encodeLines(encoder: RowEncoder, data: Buffer, columns: number, idColumn: number) {
  const line = encoder.line?.(columns, idColumn);
  if (!line) throw new Error("no line encoder");
  const page = new PageRows(columns, encoder, idColumn);
  const scratch = new PageRows(columns, () => {}, idColumn).row;
  const out = new ByteWriter(64);
  let taken = 0;
  let p = 0;
  while (p < data.length) {
    const next = parseRow(data, p, data.length, scratch);
    const id = line(data, p, next, out);
    if (id >= 0) {
      page.added(id);
      taken++;
    } else {
      parseRow(data, p, next, page.row);
      page.add(out);
    }
    p = next;
  }
  return { out: out.flush().toString("utf8"), taken, lastId: page.lastId };
}

/** The same lines through the row encoder alone. */
function encodeRows(encoder: RowEncoder, data: Buffer, columns: number, idColumn: number) {
  return new PageRows(columns, encoder, idColumn).encodeAll(data).toString("utf8");
}

// Cells XLSX's encoders treat apart: entities, `_xHHHH_` look-alikes, controls, U+FFFE/U+FFFF, edge spaces,
// quotes and commas (COPY quotes the field), multi-byte letters.
const alphabet = [
  "a",
  "Z",
  "0",
  ".",
  "@",
  " ",
  "&",
  "<",
  ">",
  "_",
  "_x0041_",
  "\t",
  "\u0001",
  "\uffff",
  "\ufeff",
  '"',
  ",",
  "İ",
  "😀",
];

describe("XLSX's one-pass line encoder", () => {
  const random = seededRandom(21);
  const text = () => {
    const r = random(10);
    if (r === 0) return null;
    if (r === 1) return "";
    if (r < 6) return `plain ${random(1000)} ö-${random(10)}`;
    return Array.from({ length: 1 + random(6) }, () => alphabet[random(alphabet.length)]).join("");
  };
  const jsonb = () =>
    [
      null,
      "{}",
      "[]",
      "7",
      "-12",
      "true",
      "null",
      '{"a": 1, "b": [1, 2]}',
      '{"1": 2}',
      "[1.50]",
      '"x, y"',
      '{"q": "a<b & \\"c\\""}',
      '{"size": "M", "n": 3}',
    ][random(13)] ?? null;
  const number = () =>
    [null, "NaN", "Infinity", "-Infinity", "0", "-3.25", `${random(100000)}.${random(100)}`][random(7)] ??
    null;
  const serial = () =>
    random(10) === 0
      ? ([null, "Infinity", "-Infinity"][random(3)] ?? null)
      : `${45000 + random(1000)}.${random(1e9)}`;

  it("writes the row encoder's bytes for random cells, taking the common rows itself, across row-number digits", () => {
    const fields = fieldsByName(productsResource, [
      "id",
      "sku",
      "name",
      "price",
      "stock",
      "is_active",
      "attributes",
      "created_date",
      "modified_date",
    ]);
    const rows = Array.from({ length: 3000 }, (_, i) => [
      String(i + 1),
      text(),
      text(),
      number(),
      random(6) === 0 ? null : String(random(1000) - 500),
      [null, "t", "f"][random(3)] ?? null,
      jsonb(),
      serial(),
      serial(),
    ]);
    // The id is field 0: no id column after the fields.
    const data = Buffer.from(copyLines(rows).toString("utf8").replaceAll(",0\n", "\n"));
    // Pages starting at rows 0 (rows 2 …, across 9 → 10, 99 → 100, 999 → 1000) and at 95, in sheets of 1,500.
    for (const first of [0, 95]) {
      const writer = createXlsxWriter(1500);
      const reference = encodeRows(writer.rowEncoder(fields, first), data, fields.length, 0);
      const { out, taken, lastId } = encodeLines(writer.rowEncoder(fields, first), data, fields.length, 0);
      expect(out).toBe(reference);
      expect(lastId).toBe(3000);
      // It must take the common rows, or it proves nothing; and leave the others.
      expect(taken).toBeGreaterThan(100);
      expect(taken).toBeLessThan(3000);
    }
  });

  it("takes every row of plain orders, reads an id column that is no field, and goes on after a restart", () => {
    const fields = fieldsByName(ordersResource, [
      "number",
      "customer_email",
      "amount",
      "item_count",
      "created_date",
    ]);
    const rows = Array.from({ length: 300 }, (_, i) => [
      `ORD-${i}`,
      `maria.${i}@example.com`,
      `${i}.50`,
      String(i % 9),
      `45658.00${i}`,
    ]);
    // The id as a column after the fields (copyLines writes 0: made the row's number here).
    const data = Buffer.from(
      copyLines(rows)
        .toString("utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l, i) => `${l.slice(0, -1)}${i + 1}\n`)
        .join(""),
    );
    const writer = createXlsxWriter();
    const encoder = writer.rowEncoder(fields, 0);
    const first = encodeLines(encoder, data, fields.length + 1, fields.length);
    expect(first.taken).toBe(300);
    expect(first.lastId).toBe(300);
    expect(first.out).toBe(encodeRows(writer.rowEncoder(fields, 0), data, fields.length + 1, fields.length));
    expect(first.out).toContain('<row r="301"><c r="A301" t="inlineStr"><is><t>ORD-299</t></is></c>');
    // Restarted as the run's next page begins (steps/copy-run.ts): the same line encoder, numbered from there.
    encoder.restart?.(40);
    expect(encoder.line?.(fields.length + 1, fields.length)).toBe(
      encoder.line?.(fields.length + 1, fields.length),
    );
    const again = encodeLines(encoder, data, fields.length + 1, fields.length);
    expect(again.out).toBe(encodeRows(writer.rowEncoder(fields, 40), data, fields.length + 1, fields.length));
  });

  it("is none for `json` (not jsonb) values, which the row encoder compacts", () => {
    const table = pgTable("t", { doc: jsonColumn("doc") });
    const doc: ResourceField = {
      name: "doc",
      labels: { en: "doc", tr: "doc" },
      column: table.doc,
      type: "json",
    };
    expect(createXlsxWriter().rowEncoder([doc], 0).line?.(2, 1)).toBeNull();
    const jsonb = fieldsByName(productsResource, ["attributes"]);
    expect(createXlsxWriter().rowEncoder(jsonb, 0).line?.(2, 1)).not.toBeNull();
  });
});
