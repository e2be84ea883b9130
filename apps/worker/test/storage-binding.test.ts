import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Actor, bindStorage, LocalStorage } from "@exports/core";
import { DEFAULT_ENGINE_CONFIG, runOnce } from "@exports/core/node";
import {
  createActor,
  createTestDatabase,
  createTestExport,
  seedProducts,
  type TestDatabase,
} from "@exports/core/testing";
import { createTestBucket, s3Env } from "@exports/core/testing/s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startWorker } from "./processes";

let a: TestDatabase;
let b: TestDatabase;
let alice: Actor;
const storageDir = mkdtempSync(path.join(os.tmpdir(), "exports-binding-"));
const storage = new LocalStorage(storageDir);

beforeAll(async () => {
  [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  alice = await createActor(a.db, "alice");
  await seedProducts(a.db, 1000);
});

afterAll(async () => {
  await Promise.all([a?.destroy(), b?.destroy()]);
});

/**
 * Two databases on one storage folder: each database's workers sweep the part folders of exports that database
 * does not know, so the second database's worker used to delete the first one's committed parts mid-export (its
 * assembly then failed: "a part of the export is missing"). A storage now belongs to the database that first
 * used it; a worker of another database refuses to start, before sweeping anything.
 */
it("a worker of another database refuses the storage and deletes none of its parts", async () => {
  await bindStorage(a.db, storage, storageDir);
  const e = await createTestExport(a.db, alice, { request_path: "/api/v1/products/", format_type: "json" });
  const deps = {
    db: a.db,
    pool: a.pool,
    storage,
    config: { ...DEFAULT_ENGINE_CONFIG, pageSize: 100, runPages: 1 },
  };
  await runOnce(deps, "a:1");
  await runOnce(deps, "a:2");
  const parts = await storage.list(`parts/${e.id}`);
  expect(parts).toHaveLength(2);

  const other = startWorker({ DATABASE_URL: b.url, STORAGE_DIR: storageDir, RETENTION_SWEEP_SECONDS: "1" });
  await expect(other).rejects.toThrow(/belongs to another database/);
  expect(await storage.list(`parts/${e.id}`)).toEqual(parts);

  // The storage's own database still uses it.
  const own = await startWorker({ DATABASE_URL: a.url, STORAGE_DIR: storageDir, WORKER_POLL_MS: "50" });
  own.child.kill("SIGTERM");
  expect(await own.exited).toBe(0);
});

describe("a worker on an s3:// storage checks the bucket before it works, and says so", () => {
  it("starts on a reachable bucket and names it", async () => {
    const bucket = await createTestBucket(inject("s3Endpoint"));
    const w = await startWorker({
      DATABASE_URL: a.url,
      STORAGE_URL: `s3://${bucket}/p`,
      ...s3Env(inject("s3Endpoint")),
    });
    expect(w.output()).toContain(`storage s3://${bucket}/p: reachable, belongs to this database`);
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
  });

  it.each([
    [
      "a bucket that does not exist",
      () => ({ STORAGE_URL: "s3://no-such-bucket", ...s3Env(inject("s3Endpoint")) }),
      /The bucket "no-such-bucket" .* does not exist/,
    ],
    [
      "a server that does not answer",
      () => ({ STORAGE_URL: "s3://b-1", ...s3Env("http://127.0.0.1:9") }),
      /The file storage s3:\/\/b-1 is unavailable/,
    ],
    [
      "a missing region",
      () => ({ STORAGE_URL: "s3://b-1", ...s3Env(inject("s3Endpoint")), AWS_REGION: "" }),
      /AWS_REGION: required/,
    ],
  ])("refuses %s with a message, exit 1", async (_what, env, message) => {
    const start = startWorker({ DATABASE_URL: a.url, ...env() });
    await expect(start).rejects.toThrow(message);
  });
});
