import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { stringify } from "csv-stringify/sync";
import { describe, expect, it } from "vitest";
import { writerFor } from "../../src/engine/formats";
import { headerLabels } from "../../src/engine/formats/cells";
import type { AssembleInput } from "../../src/engine/formats/types";
import { encodePage } from "../../src/engine/row-by-row";
import { productsResource } from "../../src/resources/products";
import { fieldsByName } from "../../src/resources/serialize";
import { LocalStorage } from "../../src/storage";

const storage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-layout-")));
const fields = fieldsByName(productsResource, ["id", "sku", "name", "price", "is_active"]);
const records = Array.from({ length: 23 }, (_, i) => ({
  id: i + 1,
  sku: `SKU-${i + 1}`,
  name: i % 5 === 0 ? `=HYPERLINK("x")${i}` : ` Lamp, "shade" ${i}\n`,
  price: (i * 1.25).toFixed(2),
  is_active: i % 2 === 0,
}));

/** The records in pages of `size`, each stored as a part the way the engine writes it; their keys. */
async function storeParts(format: "csv" | "json", size: number, tag: string): Promise<string[]> {
  const keys: string[] = [];
  for (let at = 0; at < records.length; at += size) {
    const page = encodePage(writerFor(format), fields, records.slice(at, at + size), at);
    const key = `parts/${tag}/${keys.length}`;
    const file = await storage.create(key);
    file.stream.end(page.data);
    await file.commit();
    keys.push(key);
  }
  return keys;
}

/**
 * The file with its parts copied: CSV's BOM and header, then the parts; JSON's `[`, the parts without the last
 * row's separator, `]`.
 */
async function copiedFile(format: "csv" | "json", keys: string[]): Promise<Buffer> {
  const parts = Buffer.concat(await Promise.all(keys.map((key) => buffer(storage.read(key)))));
  if (format === "csv") {
    const head = `\uFEFF${stringify([headerLabels(fields, "tr")], { record_delimiter: "\r\n" })}`;
    return Buffer.concat([Buffer.from(head), parts]);
  }
  if (parts.length === 0) return Buffer.from("[]\n");
  return Buffer.concat([Buffer.from("[\n"), parts.subarray(0, parts.length - 2), Buffer.from("\n]\n")]);
}

function input(keys: string[]): AssembleInput {
  return {
    fields,
    language: "tr",
    rows: keys.length === 0 ? 0 : records.length,
    parts: async function* () {
      for (const key of keys)
        yield { read: (range) => storage.read(key, range), size: () => storage.size(key) };
    },
  };
}

describe("a format's layout, composed by storage", () => {
  for (const format of ["csv", "json"] as const) {
    for (const [label, size] of [
      ["several parts", 5],
      ["one part", 100],
      ["no part (no rows)", 0],
    ] as const) {
      it(`${format}, ${label}: is byte for byte the file with its parts copied`, async () => {
        const tag = `${format}-${size}`;
        const keys = size === 0 ? [] : await storeParts(format, size, tag);
        const writer = writerFor(format);
        const assembled = await copiedFile(format, keys);
        const layout = await writer.layout(input(keys));
        // Every part is in it, in order, by reference.
        expect(layout.flatMap((s) => ("part" in s ? [s.part] : []))).toEqual(keys.map((_, i) => i));
        const key = `results/${tag}.${format}`;
        const composedSize = await storage.compose(
          key,
          layout.map((s) => ("bytes" in s ? s : { key: keys[s.part] ?? "", start: s.start, end: s.end })),
        );
        const composed = await buffer(storage.read(key));
        expect(composedSize).toBe(assembled.length);
        expect(composed.toString("utf8")).toBe(assembled.toString("utf8"));
        if (format === "json")
          expect(JSON.parse(composed.toString("utf8"))).toHaveLength(size === 0 ? 0 : 23);
      });
    }
  }

  it("json: refuses a last part that does not end with a row", async () => {
    const file = await storage.create("parts/broken/0");
    file.stream.end('{"id":1}');
    await file.commit();
    await expect(jsonLayout(["parts/broken/0"])).rejects.toThrow("does not end with a row");
  });
});

function jsonLayout(keys: string[]) {
  return writerFor("json").layout(input(keys));
}
