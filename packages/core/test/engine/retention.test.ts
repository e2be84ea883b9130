import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { exports } from "../../src/db/schema";
import { sweepStorage } from "../../src/engine/retention";
import { DomainError } from "../../src/errors";
import { openDownload } from "../../src/exports/download";
import { cancelExport, createExport } from "../../src/exports/service";
import { seedProducts } from "../../src/seed/products";
import { keys } from "../../src/storage";
import { createActor, createTestDatabase, type TestDatabase } from "../../src/testing";
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
    const e = await createExport(t.db, alice, { request_path: "/api/v1/products/" });
    await drain(engineDeps(t.db, storage));
    const done = await exportRow(t.db, e.id);
    expect(done.status, done.errorMessage ?? "").toBe("completed");
    expect(done.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);
    expect((await openDownload(t.db, storage, alice, e.id)).size).toBeGreaterThan(0);

    // Not yet expired: the sweep keeps it.
    expect((await sweepStorage(t.db, storage)).expiredResults).toBe(0);
    await t.db
      .update(exports)
      .set({ expiresAt: sql`now() - interval '1 minute'` })
      .where(eq(exports.id, e.id));
    expect((await sweepStorage(t.db, storage)).expiredResults).toBe(1);
    expect(await storage.list(`results/${e.id}`)).toEqual([]);
    const err = await openDownload(t.db, storage, alice, e.id).catch((x) => x);
    expect(err).toBeInstanceOf(DomainError);
    expect(err.code).toBe("GONE");
    expect(err.detail).toMatch(/^The export file expired on /);
    expect((await exportRow(t.db, e.id)).status).toBe("completed");
  });

  it("sweeps part folders of finished or vanished exports, never of unfinished ones", async () => {
    const active = await createExport(t.db, alice, { request_path: "/api/v1/products/" });
    const cancelled = await createExport(t.db, alice, { request_path: "/api/v1/products/?is_active=true" });
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
});
