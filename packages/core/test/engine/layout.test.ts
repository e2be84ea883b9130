import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { buffer } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { writerFor } from "../../src/engine/formats";
import type { AssembleInput } from "../../src/engine/formats/types";
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
    const page = writerFor(format).encodePage(fields, records.slice(at, at + size), at);
    const key = `parts/${tag}/${keys.length}`;
    const file = await storage.create(key);
    file.stream.end(page.data);
    await file.commit();
    keys.push(key);
  }
  return keys;
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
      it(`${format}, ${label}: is byte for byte the file the assembly copies`, async () => {
        const tag = `${format}-${size}`;
        const keys = size === 0 ? [] : await storeParts(format, size, tag);
        const writer = writerFor(format);
        const out = new PassThrough();
        const [assembled] = await Promise.all([buffer(out), writer.assemble(out, input(keys))]);
        const layout = await writer.layout?.(input(keys));
        if (!layout) throw new Error(`${format} has no layout`);
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

  it("json: refuses a last part that does not end with a row, as the assembly does", async () => {
    const file = await storage.create("parts/broken/0");
    file.stream.end('{"id":1}');
    await file.commit();
    await expect(jsonLayout(["parts/broken/0"])).rejects.toThrow("does not end with a row");
  });
});

function jsonLayout(keys: string[]) {
  const layout = writerFor("json").layout;
  if (!layout) throw new Error("json has no layout");
  return layout(input(keys));
}
