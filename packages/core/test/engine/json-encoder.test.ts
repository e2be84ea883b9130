import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PageRows } from "../../src/engine/copy/parse";
import { jsonRowEncoder } from "../../src/engine/formats/json";
import { copyLines } from "../../src/engine/row-by-row";
import { productsResource } from "../../src/resources/products";
import { fieldsByName } from "../../src/resources/serialize";
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
