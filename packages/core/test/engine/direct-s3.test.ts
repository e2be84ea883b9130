import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { exports } from "../../src/db/schema";
import type { FaultPoint } from "../../src/engine/faults";
import { cancelExport } from "../../src/exports/service";
import { seedProducts } from "../../src/seed/products";
import { type DirectStorage, isDirectEntry, LocalStorage, S3Storage, type Storage } from "../../src/storage";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { testS3Client } from "../../src/testing/s3";
import { drain, engineDeps, exportRow, readResult, readXlsxWithSheetJs, unstamped } from "./helpers";

/**
 * Direct mode (engine/steps/direct.ts) on the test S3 server: CSV, JSON (plain and gzip) and XLSX pages written
 * as parts of the result's own upload (XLSX: but its first page, a part object sent as part 1 by the assembly). A small minimum part (the test-only knob) makes pages of 97 records go direct.
 */
let t: TestDatabase;
let alice: Actor;
const endpoint = inject("s3Endpoint");
const bucket = inject("s3Bucket");
const MIN_PART = 1024;

function s3(prefix: string, minPart = MIN_PART) {
  return new S3Storage(testS3Client(endpoint), bucket, prefix, { minPart });
}
const fresh = () => `direct-${Math.random().toString(36).slice(2, 10)}`;

/** `storage` with its direct calls replaced by `direct(real)`'s. */
function withDirect(storage: S3Storage, direct: (real: DirectStorage) => Partial<DirectStorage>): Storage {
  const real = storage.direct;
  const wrapped = Object.assign(Object.create(real) as DirectStorage, direct(real));
  return Object.assign(Object.create(storage) as Storage, { direct: wrapped });
}

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 2345);
});

afterAll(async () => {
  await t?.destroy();
});

const products = "/api/v1/products/";
const asIs = (file: Buffer) => file;

/**
 * The formats with a direct mode: how many records a result holds, its bytes compared (XLSX: but its stamps),
 * the pages written before the direct ones (XLSX's first), the fewest part numbers a page of 97 records takes.
 */
const CASES = [
  {
    name: "CSV",
    request: { request_path: products, format_type: "csv" as const },
    records: (file: Buffer) => file.toString("utf8").split("\r\n").length - 2,
    compared: asIs,
    from: 0,
    partsPerPage: 3,
  },
  {
    name: "JSON",
    request: { request_path: products, format_type: "json" as const },
    records: (file: Buffer) => (JSON.parse(file.toString("utf8")) as unknown[]).length,
    compared: asIs,
    from: 0,
    partsPerPage: 3,
  },
  {
    name: "gzip JSON",
    request: {
      request_path: products,
      format_type: "json" as const,
      options: { compression: "gzip" as const },
    },
    records: (file: Buffer) => (JSON.parse(gunzipSync(file).toString("utf8")) as unknown[]).length,
    compared: asIs,
    from: 0,
    partsPerPage: 1,
  },
  {
    name: "XLSX",
    request: { request_path: products, format_type: "xls" as const },
    records: (file: Buffer) => (readXlsxWithSheetJs(file)[0]?.length ?? 0) - 1,
    compared: unstamped,
    from: 1,
    partsPerPage: 1,
  },
];

/** The export's uploaded_parts whenever a page is recorded (through the DB, before the assembly clears them). */
async function partsNow(id: string) {
  return (await exportRow(t.db, id)).uploadedParts;
}

for (const { name, request: REQUEST, records, compared, from, partsPerPage } of CASES) {
  /** The bytes the local backend writes for the same export. */
  async function localFile(): Promise<Buffer> {
    const storage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-direct-local-")));
    const created = await createTestExport(t.db, alice, REQUEST);
    await drain(engineDeps(t, storage, { pageSize: 97 }));
    return readResult(storage, await exportRow(t.db, created.id));
  }

  let expected: Buffer;
  beforeAll(async () => {
    expected = await localFile();
  });

  describe(`${name} to S3, pages written as parts of the result's upload`, { timeout: 120_000 }, () => {
    it("gives the local backend's bytes, in many pages of several parts each", async () => {
      const storage = s3(fresh());
      const created = await createTestExport(t.db, alice, REQUEST);
      const deps = engineDeps(t, storage, { pageSize: 97 });
      await drain(deps, "w", 2);
      const during = await partsNow(created.id);
      expect(during.length).toBeGreaterThan(4);
      expect(during.slice(0, from).some(isDirectEntry)).toBe(false);
      expect(during.slice(from).every(isDirectEntry)).toBe(true);
      await drain(deps);
      const row = await exportRow(t.db, created.id);
      expect(row.status).toBe("completed");
      expect(row.resultKey).toBe(row.directKey);
      // 25 pages of ~10 KB (gzip: ~3 KB) in parts of ≥ 1 KiB: several part numbers each.
      expect(row.nextPart).toBeGreaterThan(24 * partsPerPage);
      expect(compared(await readResult(storage, row)).equals(compared(expected))).toBe(true);
      expect(await storage.list(`parts/${row.id}`)).toEqual([]);
    });

    it("pages under the minimum part are part objects, sent after the direct parts; later pages stay objects", async () => {
      const prefix = fresh();
      const direct = s3(prefix);
      const created = await createTestExport(t.db, alice, REQUEST);
      await drain(engineDeps(t, direct, { pageSize: 97 }), "w", 2);
      // Same bucket and prefix, a minimum above a page: the next run's pages are part objects.
      await drain(engineDeps(t, s3(prefix, 1024 * 1024), { pageSize: 97 }), "w", 1);
      const mixed = await partsNow(created.id);
      const objects = mixed.findIndex((e, i) => i >= from && !isDirectEntry(e));
      expect(objects).toBeGreaterThan(from);
      expect(mixed.slice(objects).some(isDirectEntry)).toBe(false);
      // Back to the small minimum: the export keeps to part objects (none under the minimum between direct parts).
      await drain(engineDeps(t, direct, { pageSize: 97 }));
      const row = await exportRow(t.db, created.id);
      expect(row.status).toBe("completed");
      expect(row.resultKey).toBe(row.directKey);
      expect(compared(await readResult(direct, row)).equals(compared(expected))).toBe(true);
    });

    it("an export whose first page is under the minimum is composed as before (the upload dropped)", async () => {
      const storage = s3(fresh());
      // ~5–14 bytes a row: pages of ~200–600 bytes.
      const created = await createTestExport(t.db, alice, { ...REQUEST, request_fields: ["id"] });
      await drain(engineDeps(t, storage, { pageSize: 40 }));
      const row = await exportRow(t.db, created.id);
      expect(row.status).toBe("completed");
      expect(row.directKey).not.toBeNull();
      expect(row.resultKey).not.toBe(row.directKey);
      expect(records(await readResult(storage, row))).toBe(2345);
    });

    it("a writer that lost its lease mid-page has its parts never listed", async () => {
      const storage = s3(fresh());
      const created = await createTestExport(t.db, alice, REQUEST);
      let reservations = 0;
      const zombie = withDirect(storage, (real) => ({
        createPage: (key, write) =>
          real.createPage(key, {
            ...write,
            reserve: async (k) => {
              const first = await write.reserve(k);
              // The 4th reservation: another worker takes the export over; this one writes on.
              if (++reservations === 4) {
                await t.db.execute(
                  sql`update ${exports} set lease_owner = 'thief', lease_expires_at = now() - interval '1 second' where id = ${created.id}`,
                );
              }
              return first;
            },
          }),
      }));
      const result = await drain(engineDeps(t, zombie, { pageSize: 97 }), "zombie", 1);
      expect(result).toBe(1);
      expect(reservations).toBeGreaterThanOrEqual(4);
      const after = await exportRow(t.db, created.id);
      expect(after.leaseOwner).toBe("thief");
      await drain(engineDeps(t, storage, { pageSize: 97 }));
      const row = await exportRow(t.db, created.id);
      expect(row.status).toBe("completed");
      expect(compared(await readResult(storage, row)).equals(compared(expected))).toBe(true);
    });

    it("a step failed at a page boundary, or with a page uploaded but not recorded, is redone exactly", async () => {
      const failures = [
        ["page.recorded", 1],
        ["page.recorded", 3],
        ["readahead.started", 3],
      ] as const;
      for (const [point, nth] of failures) {
        const storage = s3(fresh());
        const created = await createTestExport(t.db, alice, REQUEST);
        let left: number = nth;
        const deps = {
          ...engineDeps(t, storage, { pageSize: 97 }),
          faults: (reached: FaultPoint) => {
            if (reached === point && --left === 0) throw new Error(`injected failure at ${point}`);
          },
        };
        // Drained until completed: the failed step is retried after its backoff.
        for (let i = 0; i < 20 && (await exportRow(t.db, created.id)).status !== "completed"; i++) {
          await drain(deps);
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(left).toBeLessThanOrEqual(0);
        const row = await exportRow(t.db, created.id);
        expect(row.status).toBe("completed");
        expect(row.resultKey).toBe(row.directKey);
        expect(compared(await readResult(storage, row)).equals(compared(expected))).toBe(true);
      }
    });

    it("an assembly redone after the upload completed (killed before the export was marked) completes", async () => {
      const storage = s3(fresh());
      const created = await createTestExport(t.db, alice, REQUEST);
      let completions = 0;
      const killed = withDirect(storage, (real) => ({
        complete: async (...args) => {
          const size = await real.complete(...args);
          if (++completions === 1) throw new Error("killed after CompleteMultipartUpload");
          return size;
        },
      }));
      // Drained until completed: the failed assembly is retried after its backoff.
      for (let i = 0; i < 20 && (await exportRow(t.db, created.id)).status !== "completed"; i++) {
        await drain(engineDeps(t, killed, { pageSize: 97 }));
        await new Promise((r) => setTimeout(r, 50));
      }
      const row = await exportRow(t.db, created.id);
      expect(completions).toBe(2);
      expect(row.status).toBe("completed");
      expect(row.resultKey).toBe(row.directKey);
      expect(compared(await readResult(storage, row)).equals(compared(expected))).toBe(true);
    });

    it("a cancel leaves no result object, mid-run or once the upload completed", async () => {
      for (const at of ["pages", "completed"] as const) {
        const storage = s3(fresh());
        const created = await createTestExport(t.db, alice, REQUEST);
        const admin = await createActor(t.db, `admin-${at}-${name.replace(" ", "-")}`, true);
        const cancelling = withDirect(storage, (real) => ({
          complete: async (...args) => {
            const size = await real.complete(...args);
            await cancelExport(t.db, admin, created.id, { storage });
            return size;
          },
        }));
        const deps = engineDeps(t, cancelling, { pageSize: 97 });
        if (at === "pages") {
          await drain(deps, "w", 2);
          await cancelExport(t.db, admin, created.id, { storage });
        }
        await drain(deps);
        const row = await exportRow(t.db, created.id);
        expect(row.status).toBe("cancelled");
        expect(await storage.list(`results/${row.id}`)).toEqual([]);
        expect(await storage.list(`parts/${row.id}`)).toEqual([]);
      }
    });
  });
}
