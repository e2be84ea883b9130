import { buffer } from "node:stream/consumers";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { exports } from "../../src/db/schema";
import { DomainError } from "../../src/errors";
import { openDownload } from "../../src/exports/download";
import { seedProducts } from "../../src/seed/products";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { drain, engineDeps, exportRow, tempStorage } from "./helpers";

let t: TestDatabase;
let alice: Actor;
let bob: Actor;
let root: Actor;
const storage = tempStorage();

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  bob = await createActor(t.db, "bob");
  root = await createActor(t.db, "root", true);
  await seedProducts(t.db, 50);
});

afterAll(async () => {
  await t?.destroy();
});

async function codeOf(promise: Promise<unknown>): Promise<[string, Record<string, unknown>]> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return [(err as DomainError).code, (err as DomainError).body()];
  }
  throw new Error("expected a DomainError");
}

describe("openDownload", () => {
  it("opens a completed export's file for its owner and a superuser, with size, name and type", async () => {
    const created = await createTestExport(t.db, alice, {
      request_path: "/api/v1/products/",
      format_type: "json",
    });
    await drain(engineDeps(t, storage));
    const row = await exportRow(t.db, created.id);
    for (const actor of [alice, root]) {
      const d = await openDownload(t.db, storage, actor, created.id);
      const bytes = await buffer(d.read());
      expect(bytes.length).toBe(d.size);
      expect(bytes.equals(await buffer(storage.read(row.resultKey ?? "")))).toBe(true);
      expect(d.filename).toBe(row.resultKey?.split("/").pop());
      expect(d.filename).toMatch(/^products-export-\d{8}-\d{6}-[0-9a-f]{8}\.json$/);
      expect(d.contentType).toBe("application/json; charset=utf-8");
      // A range of the (composed) result: exactly those bytes.
      expect((await buffer(d.read({ start: 3, end: 40 }))).equals(bytes.subarray(3, 40))).toBe(true);
    }
    // The same bytes, the same version, whoever asks; a version is a token fit for a quoted ETag.
    const [a, b] = await Promise.all([alice, root].map((x) => openDownload(t.db, storage, x, created.id)));
    expect(a?.version).toBe(b?.version);
    expect(a?.version).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await codeOf(openDownload(t.db, storage, bob, created.id))).toEqual([
      "NOT_FOUND",
      { detail: "Not found." },
    ]);
    expect(await codeOf(openDownload(t.db, storage, root, "nope"))).toEqual([
      "NOT_FOUND",
      { detail: "Not found." },
    ]);
  });

  it("gives a re-assembled file (a new result key, the same bytes) a new version", async () => {
    const created = await createTestExport(t.db, alice, { request_path: "/api/v1/products/?id__lte=7" });
    await drain(engineDeps(t, storage));
    const first = await openDownload(t.db, storage, alice, created.id);
    const firstBytes = await buffer(first.read());
    // What a second assembly leaves: the same bytes under another attempt's key.
    const oldKey = (await exportRow(t.db, created.id)).resultKey ?? "";
    const newKey = oldKey.replace(/\/([^/]+)\/([^/]+)$/, "/another-attempt/$2");
    expect(newKey).not.toBe(oldKey);
    const copy = await storage.create(newKey);
    copy.stream.end(firstBytes);
    await copy.commit();
    await t.db.update(exports).set({ resultKey: newKey }).where(eq(exports.id, created.id));
    const second = await openDownload(t.db, storage, alice, created.id);
    expect((await buffer(second.read())).equals(firstBytes)).toBe(true);
    expect(second.version).not.toBe(first.version);
  });

  it("is a conflict before completion and GONE when the file has been removed", async () => {
    const created = await createTestExport(t.db, alice, { request_path: "/api/v1/products/?id__lte=5" });
    expect(await codeOf(openDownload(t.db, storage, alice, created.id))).toEqual([
      "CONFLICT",
      { detail: "Export is not completed (status: waiting)." },
    ]);
    await t.db.update(exports).set({ status: "processing" }).where(eq(exports.id, created.id));
    expect((await codeOf(openDownload(t.db, storage, alice, created.id)))[1]).toEqual({
      detail: "Export is not completed (status: processing).",
    });
    await t.db.update(exports).set({ status: "waiting" }).where(eq(exports.id, created.id));
    await drain(engineDeps(t, storage));
    const row = await exportRow(t.db, created.id);
    expect(row.status).toBe("completed");
    await storage.remove(row.resultKey ?? "");
    expect(await codeOf(openDownload(t.db, storage, alice, created.id))).toEqual([
      "GONE",
      { detail: "The export file is no longer available." },
    ]);
  });
});
