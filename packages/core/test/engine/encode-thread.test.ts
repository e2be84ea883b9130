import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { productsResource } from "../../src/resources/products";
import { seedProducts } from "../../src/seed/products";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { drain, engineDeps, exportRow, readResult, tempStorage } from "./helpers";

let t: TestDatabase;
let alice: Actor;
const storage = tempStorage();

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 1000);
});

afterAll(async () => {
  await t?.destroy();
});

/** The file with its entries' modification times (the assembly's clock, in 2-second steps) zeroed. */
function timeless(file: Buffer): Buffer {
  const out = Buffer.from(file);
  for (let i = 0; i + 4 <= out.length; i++) {
    const signature = out.readUInt32LE(i);
    if (signature === 0x04034b50)
      out.fill(0, i + 10, i + 14); // local header: time, date
    else if (signature === 0x02014b50) out.fill(0, i + 12, i + 16); // central directory: time, date
  }
  return out;
}

let serial = 0;
/** An XLSX export of every products field, run with `encodeThreads`; its file. */
async function xlsxFile(encodeThreads: number, pageSize: number, runPages: number): Promise<Buffer> {
  const e = await createTestExport(t.db, alice, {
    request_path: "/api/v1/products/?id__gt=7",
    request_fields: productsResource.fields.map((f) => f.name),
    format_type: "xls",
    action_name: `thread ${serial++}`,
  });
  await drain(engineDeps(t, storage, { pageSize, runPages, encodeThreads }));
  const row = await exportRow(t.db, e.id);
  expect(row.status).toBe("completed");
  expect(row.collectedCount).toBe(993);
  return timeless(await readResult(storage, row));
}

describe("XLSX rows encoded in an encoding thread", () => {
  it("give the file encoded on the main thread, byte for byte (pages in runs, read ahead, a short last page)", async () => {
    // Each page is a deflate segment of its own: the same pages on each side.
    for (const [pageSize, runPages, threads] of [
      [300, 4, 1],
      [300, 1, 2],
      [1000, 1, 1],
    ] as const) {
      const here = await xlsxFile(0, pageSize, runPages);
      expect(await xlsxFile(threads, pageSize, runPages)).toEqual(here);
    }
  });
});
