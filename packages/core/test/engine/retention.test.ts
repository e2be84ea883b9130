import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { count, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { exportFilterKeys, exports } from "../../src/db/schema";
import { sweepStorage } from "../../src/engine/retention";
import { DomainError } from "../../src/errors";
import { openDownload } from "../../src/exports/download";
import { cancelExport } from "../../src/exports/service";
import { seedProducts } from "../../src/seed/products";
import { keys, LocalStorage } from "../../src/storage";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { drain, engineDeps, exportRow, tempStorage } from "./helpers";

let t: TestDatabase;
let alice: Actor;
let admin: Actor;
const storage = tempStorage();

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  admin = await createActor(t.db, "root", true);
  await seedProducts(t.db, 300);
});

afterAll(async () => {
  await t?.destroy();
});

async function putPart(id: string) {
  const file = await storage.create(keys.part(id, 1));
  file.stream.write("1,2\r\n");
  await file.commit();
}

describe("retention", () => {
  it("deletes result files past expires_at; the download then answers 410", async () => {
    const e = await createTestExport(t.db, alice, { request_path: "/api/v1/products/" });
    await drain(engineDeps(t, storage));
    const done = await exportRow(t.db, e.id);
    expect(done.status, done.errorMessage ?? "").toBe("completed");
    expect(done.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);
    expect((await openDownload(t.db, storage, alice, e.id)).size).toBeGreaterThan(0);

    // Not yet expired: the sweep keeps it.
    expect((await sweepStorage(t.db, storage)).expired).toBe(0);
    await t.db
      .update(exports)
      .set({ expiresAt: sql`now() - interval '1 minute'` })
      .where(eq(exports.id, e.id));
    expect((await sweepStorage(t.db, storage)).expired).toBe(1);
    expect(await storage.list(`results/${e.id}`)).toEqual([]);
    const err = await openDownload(t.db, storage, alice, e.id).catch((x) => x);
    expect(err).toBeInstanceOf(DomainError);
    expect(err.code).toBe("GONE");
    expect(err.detail).toMatch(/^The export file expired on /);
    expect((await exportRow(t.db, e.id)).status).toBe("completed");
  });

  it("sweeps part folders of finished or vanished exports, never of unfinished ones", async () => {
    const active = await createTestExport(t.db, alice, { request_path: "/api/v1/products/" });
    const cancelled = await createTestExport(t.db, alice, {
      request_path: "/api/v1/products/?is_active=true",
    });
    await cancelExport(t.db, admin, cancelled.id, { storage });
    const vanished = randomUUID();
    for (const id of [active.id, cancelled.id, vanished]) await putPart(id);
    const result = await sweepStorage(t.db, storage);
    expect(result.orphanedParts).toBe(2);
    expect(await storage.list(`parts/${active.id}`)).toHaveLength(1);
    expect(await storage.list(`parts/${cancelled.id}`)).toEqual([]);
    expect(await storage.list(`parts/${vanished}`)).toEqual([]);
    await cancelExport(t.db, admin, active.id, { storage });
  });

  // Issue 12: filter files and their identifiers were never deleted, and failed or cancelled exports never expired.
  const skus = (n: number, from = 0) =>
    Buffer.from(Array.from({ length: n }, (_, i) => `NOPE-${from + i}`).join("\n"));
  const withFile = async (content: Buffer) =>
    await createTestExport(
      t.db,
      alice,
      { request_path: "/api/v1/products/" },
      { storage, filterFile: { name: "skus.txt", content } },
    );
  const keysOf = async (id: string) =>
    (await t.db.select({ n: count() }).from(exportFilterKeys).where(eq(exportFilterKeys.exportId, id)))[0]?.n;
  const expireNow = (ids: string[]) =>
    t.db.update(exports).set({ expiresAt: sql`now() - interval '1 minute'` }).where(inArray(exports.id, ids));

  it("at expiry deletes everything an export owns: result, filter file, identifiers; the record stays", async () => {
    const e = await withFile(skus(5_000));
    expect(await keysOf(e.id)).toBe(5_000);
    expect(await storage.list(keys.uploadPrefix(e.id))).toHaveLength(1);
    await drain(engineDeps(t, storage));
    const done = await exportRow(t.db, e.id);
    expect(done.status).toBe("completed");
    expect(done.expiresAt).not.toBeNull();
    await expireNow([e.id]);
    expect((await sweepStorage(t.db, storage)).expired).toBe(1);
    expect(await storage.list(keys.uploadPrefix(e.id))).toEqual([]);
    expect(await storage.list(keys.resultPrefix(e.id))).toEqual([]);
    expect(await keysOf(e.id)).toBe(0);
    const purged = await exportRow(t.db, e.id);
    expect(purged.purgedAt).not.toBeNull();
    expect(purged).toMatchObject({ status: "completed", filterFile: e.filter_file, resultKey: null });
    // Swept once: the next sweep has nothing to do.
    expect((await sweepStorage(t.db, storage)).expired).toBe(0);
  });

  it("a cancelled export expires too, and its file and identifiers go with it", async () => {
    const e = await withFile(skus(10));
    const cancelled = await cancelExport(t.db, admin, e.id, { storage });
    expect(cancelled.status).toBe("cancelled");
    const row = await exportRow(t.db, e.id);
    expect(row.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);
    expect((await sweepStorage(t.db, storage)).expired).toBe(0);
    await expireNow([e.id]);
    expect((await sweepStorage(t.db, storage)).expired).toBe(1);
    expect(await storage.list(keys.uploadPrefix(e.id))).toEqual([]);
    expect(await keysOf(e.id)).toBe(0);
  });

  it("a failed export expires too", async () => {
    const e = await createTestExport(t.db, alice, { request_path: "/api/v1/products/?id__gt=7" });
    // A storage that cannot be written: every attempt fails, the last one ends the export failed.
    const root = mkdtempSync(path.join(os.tmpdir(), "exports-broken-"));
    const broken = new LocalStorage(`${root}/not-a-folder.txt`);
    await writeFile(`${root}/not-a-folder.txt`, "x");
    await drain(engineDeps(t, broken, { maxAttempts: 1, backoffMs: 1 }));
    const row = await exportRow(t.db, e.id);
    expect(row.status).toBe("failed");
    expect(row.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);
  });

  it("sweeps from several workers at once take each expired export once", async () => {
    const made = [];
    for (let i = 0; i < 12; i++) made.push(await withFile(skus(100, i * 100)));
    const ids = made.map((e) => e.id);
    for (const id of ids) await cancelExport(t.db, admin, id, { storage });
    await expireNow(ids);
    const results = await Promise.all([1, 2, 3].map(() => sweepStorage(t.db, storage, { batch: 2 })));
    expect(results.reduce((sum, r) => sum + r.expired, 0)).toBe(12);
    for (const id of ids) {
      expect(await keysOf(id)).toBe(0);
      expect(await storage.list(keys.uploadPrefix(id))).toEqual([]);
      expect((await exportRow(t.db, id)).purgedAt).not.toBeNull();
    }
  });
});
