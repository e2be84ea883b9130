import { json as jsonColumn, pgTable } from "drizzle-orm/pg-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PageRows, parseRow } from "../../src/engine/copy/parse";
import { writerFor } from "../../src/engine/formats";
import { ByteWriter } from "../../src/engine/formats/bytes";
import { jsonRowEncoder } from "../../src/engine/formats/json";
import { jsonLineEncoderFor } from "../../src/engine/formats/json-line";
import { lineEncoderFor } from "../../src/engine/formats/line-cache";
import { copyLines } from "../../src/engine/row-by-row";
import { ordersResource } from "../../src/resources/orders";
import { productsResource } from "../../src/resources/products";
import { fieldsByName } from "../../src/resources/serialize";
import type { ResourceField } from "../../src/resources/types";
import { hostileText, seededRandom } from "./helpers";

// Every kind of value JSON's encoders handle: integers, text (quotes, backslashes, control characters, formula
// characters, multi-byte letters), decimals and date-times (quoted), booleans as words, and NULL everywhere.
const alphabet = [
  "a",
  "Z",
  "0",
  "=",
  "+",
  "-",
  "@",
  "\t",
  "\r",
  "\n",
  " ",
  '"',
  ",",
  "\\",
  "\u0001",
  "\u001f",
  "İ",
  "€",
  "😀",
  "\u2028",
];

// A fixed seed: the same cells every run.
const random = seededRandom(11);
const text = () =>
  random(8) === 0
    ? null
    : random(3) === 0
      ? ""
      : Array.from({ length: 1 + random(8) }, () => alphabet[random(alphabet.length)]).join("");

describe("JSON's compiled row encoder", () => {
  it("writes the bytes of the generic encoder, JSON.stringify's bytes for the values, for random cells", () => {
    const fields = fieldsByName(productsResource, [
      "id",
      "sku",
      "name",
      "price",
      "stock",
      "is_active",
      "created_date",
    ]);
    const rows = Array.from({ length: 5000 }, (_, i) => [
      String(i + 1),
      text(),
      text(),
      random(6) === 0 ? null : `${random(2) ? "-" : ""}${random(10000)}.${random(100)}`,
      random(6) === 0 ? null : String(random(1000) - 500),
      [null, "true", "false"][random(3)] ?? null,
      random(6) === 0 ? null : `2026-11-${String(1 + random(28)).padStart(2, "0")}T10:11:12.${random(1000)}Z`,
    ]);
    const data = copyLines(rows);
    const encode = (compiled: boolean) =>
      new PageRows(fields.length + 1, jsonRowEncoder(fields, { compiled })).encodeAll(data);
    const compiled = encode(true);
    const generic = encode(false);
    expect(compiled.equals(generic)).toBe(true);
    // Byte for byte what JSON.stringify (the REST list's serialiser) writes for the same values: no apostrophe.
    const listed = rows.map((row) =>
      JSON.stringify({
        id: Number(row[0]),
        sku: row[1],
        name: row[2],
        price: row[3],
        stock: row[4] === null ? null : Number(row[4]),
        is_active: row[5] === null ? null : row[5] === "true",
        created_date: row[6],
      }),
    );
    expect(compiled.toString("utf8")).toBe(listed.map((r) => `${r},\n`).join(""));
  });

  it("writes text and JSON values as JSON.stringify does, byte for byte, for random strings", () => {
    const fields = fieldsByName(productsResource, ["id", "name", "attributes"]);
    const names = fc.sample(hostileText({ nul: true, maxLength: 20 }), { seed: 20261212, numRuns: 3000 });
    const values = names.map((name, i) => ({ id: i + 1, name, attributes: { [name]: [name, i] } }));
    const listed = values.map((v) => `${JSON.stringify(v)},\n`).join("");
    const raw = values.map((v) => [String(v.id), v.name, JSON.stringify(v.attributes)]);
    for (const compiled of [true, false]) {
      const plain = fields.slice(0, 2);
      const plainRows = raw.map((r) => r.slice(0, 2));
      const out = new PageRows(3, jsonRowEncoder(plain, { compiled })).encodeAll(copyLines(plainRows));
      expect(out.toString("utf8")).toBe(
        values.map((v) => `${JSON.stringify({ id: v.id, name: v.name })},\n`).join(""),
      );
    }
    const out = new PageRows(4, jsonRowEncoder(fields)).encodeAll(copyLines(raw));
    expect(out.toString("utf8")).toBe(listed);
  });

  it("is used for fields without JSON values; fields with one keep the generic encoder", () => {
    const plain = fieldsByName(productsResource, ["id", "name"]);
    const withJson = fieldsByName(productsResource, ["id", "attributes"]);
    expect(jsonRowEncoder(plain).name).toBe("jsonRow");
    expect(jsonRowEncoder(withJson).name).not.toBe("jsonRow");
    expect(jsonRowEncoder(plain, { compiled: false }).name).not.toBe("jsonRow");
  });
});

describe("JSON's one-pass line encoder", () => {
  /** COPY's lines through the line encoder where it takes them, else parsed and row-encoded (as `CopyRows` does). */
  function encodeLines(
    data: Buffer,
    fields: readonly ResourceField[],
    columns: number,
    idColumn: number,
    compiled = true,
  ) {
    const json = writerFor("json");
    const line = jsonLineEncoderFor(fields, columns, idColumn, { compiled });
    if (!line) throw new Error("no line encoder for these fields");
    const page = new PageRows(columns, json.rowEncoder(fields, 0), idColumn);
    const out = new ByteWriter();
    let taken = 0;
    let p = 0;
    while (p < data.length) {
      const next = parseRow(data, p, data.length, new PageRows(columns, () => {}, idColumn).row);
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
    return { out: out.flush(), taken, lastId: page.lastId };
  }

  it("writes the row encoder's bytes for random cells, taking the common rows itself", () => {
    const random = seededRandom(15);
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
    const datetime = () => {
      const r = random(12);
      if (r === 0) return null;
      if (r === 1)
        return (
          ["infinity", "-infinity", "0044-03-15 12:00:00 BC", "10000-01-01 00:00:00.5"][random(4)] ?? null
        );
      if (r === 2) return "2026-11-05 10:11:12+00";
      const fraction = ["", ".5", ".05", ".123", ".1"][random(5)];
      return `2026-${String(1 + random(12)).padStart(2, "0")}-0${1 + random(9)} 1${random(10)}:0${random(10)}:${random(6)}${random(10)}${fraction}`;
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
        '{"q": "say \\"hi\\""}',
      ][random(12)] ?? null;
    // Text the line encoder takes half the time (the random text mostly needs escaping somewhere in the row).
    const someText = () => (random(2) === 0 ? `plain ${random(1000)} ö` : text());
    const rows = Array.from({ length: 5000 }, (_, i) => [
      String(i + 1),
      someText(),
      someText(),
      random(6) === 0 ? null : `${random(2) ? "-" : ""}${random(10000)}.${random(100)}`,
      random(6) === 0 ? null : String(random(1000) - 500),
      [null, "true", "false", "t", "f"][random(5)] ?? null,
      jsonb(),
      datetime(),
      datetime(),
    ]);
    // The id is field 0: no id column after the fields.
    const data = Buffer.from(copyLines(rows).toString("utf8").replaceAll(",0\n", "\n"));
    const reference = new PageRows(fields.length, jsonRowEncoder(fields), 0).encodeAll(data);
    const takenBy: number[] = [];
    // The compiled line encoder (what pages use) and the interpreted one it is generated from.
    for (const compiled of [true, false]) {
      const { out, taken, lastId } = encodeLines(data, fields, fields.length, 0, compiled);
      expect(out.toString("utf8"), `compiled: ${compiled}`).toBe(reference.toString("utf8"));
      expect(lastId).toBe(5000);
      // It must take the common rows, or it proves nothing.
      expect(taken).toBeGreaterThan(500);
      expect(taken).toBeLessThan(5000);
      takenBy.push(taken);
    }
    expect(takenBy[0]).toBe(takenBy[1]);
  });

  it("writes PostgreSQL's t/f as JSON's true/false itself, without handing the row on", () => {
    const fields = fieldsByName(productsResource, ["id", "is_active"]);
    const data = Buffer.from("1,t\n2,f\n3,\n4,true\n");
    const reference = new PageRows(fields.length, jsonRowEncoder(fields), 0).encodeAll(data);
    expect(reference.toString("utf8")).toContain('{"id":1,"is_active":true}');
    expect(reference.toString("utf8")).toContain('{"id":2,"is_active":false}');
    for (const compiled of [true, false]) {
      const { out, taken } = encodeLines(data, fields, fields.length, 0, compiled);
      expect(out.toString("utf8"), `compiled: ${compiled}`).toBe(reference.toString("utf8"));
      expect(taken, `compiled: ${compiled}`).toBe(4);
    }
  });

  it("reads an id column that is no field, and declines `json` values", () => {
    const fields = fieldsByName(ordersResource, ["number", "amount", "created_date"]);
    const data = Buffer.from(
      "ORD-1,12.50,2025-01-01 00:01:00\nORD-2,,2025-01-01 00:02:00.25\n".replaceAll("\n", ",42\n"),
    );
    for (const compiled of [true, false]) {
      const { out, taken, lastId } = encodeLines(data, fields, 4, 3, compiled);
      expect(taken).toBe(2);
      expect(lastId).toBe(42);
      expect(out.toString("utf8")).toBe(
        '{"number":"ORD-1","amount":"12.50","created_date":"2025-01-01T00:01:00.000Z"},\n' +
          '{"number":"ORD-2","amount":null,"created_date":"2025-01-01T00:02:00.250Z"},\n',
      );
    }
    const json = pgTable("t", { doc: jsonColumn("doc") });
    const withJson: ResourceField = {
      name: "doc",
      labels: { en: "doc", tr: "doc" },
      column: json.doc,
      type: "json",
    };
    expect(writerFor("json").lineEncoder?.([withJson], 2, 1)).toBeNull();
  });
});

describe("line encoders made once per shape (line-cache.ts)", () => {
  it("gives the same encoder for the same fields and columns, another for another shape", () => {
    const json = writerFor("json");
    const csv = writerFor("csv");
    const a = fieldsByName(ordersResource, ["id", "number", "created_date"]);
    const b = fieldsByName(ordersResource, ["id", "number", "modified_date"]);
    const line = lineEncoderFor(json, a, 3, 0);
    expect(line).not.toBeNull();
    expect(lineEncoderFor(json, [...a], 3, 0)).toBe(line);
    expect(lineEncoderFor(json, b, 3, 0)).not.toBe(line);
    expect(lineEncoderFor(json, a, 4, 3)).not.toBe(line);
    expect(lineEncoderFor(csv, a, 3, 0)).not.toBe(line);
    // Without a line encoder (XLSX has none): null.
    expect(lineEncoderFor(writerFor("xls"), a, 3, 0)).toBeNull();
  });
});
