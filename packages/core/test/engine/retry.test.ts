import { buffer } from "node:stream/consumers";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { DIRECT_ENTRY_PREFIX, type ExportFormat, offersPartialDownload } from "../../src/contract";
import { exports } from "../../src/db/schema";
import type { FaultPoint } from "../../src/engine/faults";
import { sweepStorage } from "../../src/engine/retention";
import { runOnce } from "../../src/engine/runner";
import type { StepDeps } from "../../src/engine/steps/shared";
import { DomainError } from "../../src/errors";
import { openPartialDownload } from "../../src/exports/partial";
import { retryExport } from "../../src/exports/retry";
import { seedProducts } from "../../src/seed/products";
import { isDirectEntry, keys, type Storage } from "../../src/storage";
import {
  createActor,
  createTestDatabase,
  createTestExport,
  TEST_LIMITS,
  type TestDatabase,
} from "../../src/testing";
import {
  drain,
  engineDeps,
  expectFileToEqualListedRecords,
  exportRow,
  parseCsvFile,
  readXlsxWithExceljs,
  tempStorage,
} from "./helpers";

/**
 * Issue 17, retry: an injected failure (a fault point, faults.ts, that throws instead of killing) after some
 * pages ends the export `failed` with what it recorded; a retry goes on from the last committed page, under the
 * same id, and the file then holds exactly the listed records, none twice (the invariant, helpers.ts). What was
 * collected can be downloaded meanwhile (partial), without disturbing the retry.
 */

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
  await seedProducts(t.db, 1000);
});

afterAll(async () => {
  await t?.destroy();
});

let serial = 0;
const newExport = (format: ExportFormat, path = "/api/v1/products/") =>
  createTestExport(t.db, alice, {
    request_path: path,
    request_fields: ["id", "sku", "name", "price", "created_date"],
    format_type: format,
    action_name: `retry ${serial++}`,
  });

/** Throws (a failing step, not a kill) the n-th time `point` is reached. */
function throwAt(point: FaultPoint, n: number) {
  let left = n;
  return (reached: FaultPoint) => {
    if (reached === point && --left === 0) throw new Error(`injected failure at ${point}`);
  };
}

const retryDeps = { storage, limits: TEST_LIMITS };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return (err as DomainError).code;
  }
  throw new Error("expected a DomainError");
}

/** Steps until the export is failed (one attempt: the first failure is final). */
async function runUntilFailed(deps: StepDeps, id: string) {
  for (let i = 0; i < 100; i++) {
    const r = await runOnce(deps, `fail:${i}`);
    if (!r) break;
  }
  const row = await exportRow(t.db, id);
  expect(row.status).toBe("failed");
  return row;
}

describe.each([1, 8])("an injected failure after 3 pages, then a retry (runs of %i pages)", (runPages) => {
  it.each(["csv", "json", "xls"] as const)(
    "%s: resumes from the last committed page, exact rows",
    async (format) => {
      const e = await newExport(format);
      // In a run, the fault point after the third page's record (the claim is still held); one page a claim, the
      // fourth page's write (its claim released the third).
      const failing =
        runPages > 1
          ? {
              ...engineDeps(t, storage, { pageSize: 100, runPages, maxAttempts: 1 }),
              faults: throwAt("page.recorded", 3),
            }
          : engineDeps(t, failingPage(storage, e.id, 4), { pageSize: 100, runPages, maxAttempts: 1 });
      const failed = await runUntilFailed(failing, e.id);
      expect(failed).toMatchObject({ page: 4, collectedCount: 300, lastInstanceId: 300 });
      expect(failed.errorMessage).toBe(
        runPages > 1 ? "injected failure at page.recorded" : "EIO: disk hiccup",
      );
      expect(failed.uploadedParts).toHaveLength(3);
      expect(failed.finishedAt).not.toBeNull();

      const direct = failed.uploadedParts.some(isDirectEntry);
      // The dashboard's test (the browser-safe contract) agrees with storage's.
      expect(failed.uploadedParts.some((p) => p.startsWith(DIRECT_ENTRY_PREFIX))).toBe(direct);
      expect(offersPartialDownload({ status: "failed", uploaded_parts: failed.uploadedParts })).toBe(!direct);
      if (!direct) {
        // What was collected: whole pages, the first 300 records, in a valid file of the format.
        const partial = await openPartialDownload(t.db, storage, alice, e.id);
        expect(partial.filename).toMatch(/-partial\.(csv|json|xlsx)$/);
        const bytes = await buffer(partial.read());
        expect(bytes.length).toBe(partial.size);
        expect((await buffer(partial.read({ start: 7, end: 99 }))).equals(bytes.subarray(7, 99))).toBe(true);
        const ids = await idsIn(format, bytes);
        expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      } else {
        expect(await codeOf(openPartialDownload(t.db, storage, alice, e.id))).toBe("CONFLICT");
      }

      const retried = await retryExport(t.db, alice, e.id, retryDeps);
      expect(retried).toMatchObject({ id: e.id, status: "waiting_next_page", error_message: null, page: 4 });
      expect(retried.collected_count).toBe(300);
      await drain(engineDeps(t, storage, { pageSize: 100, runPages }));
      const row = await exportRow(t.db, e.id);
      expect(row.status).toBe("completed");
      expect(row.attempts).toBe(0);
      await expectFileToEqualListedRecords(t.db, storage, row);
    },
  );
});

/** The records' ids in a file of the format (the id is the first column). */
async function idsIn(format: ExportFormat, bytes: Buffer): Promise<number[]> {
  if (format === "csv")
    return parseCsvFile(bytes)
      .slice(1)
      .map((r) => Number(r[0]));
  if (format === "json") return (JSON.parse(bytes.toString("utf8")) as { id: number }[]).map((r) => r.id);
  const sheets = await readXlsxWithExceljs(bytes);
  return sheets.flatMap((rows) => rows.slice(1)).map((r) => Number(r[0]));
}

/** `storage` that fails to write page `page` of export `id` (as a part object or a direct page). */
function failingPage(base: Storage, id: string, page: number): Storage {
  const hit = (key: string) =>
    key.startsWith(`parts/${id}/`) && Number(/\/(\d+)-[^/]*$/.exec(key)?.[1]) === page;
  const fail = () => Object.assign(new Error("disk hiccup"), { code: "EIO" });
  const direct = base.direct;
  return Object.assign(Object.create(base) as Storage, {
    async create(key: string) {
      if (hit(key)) throw fail();
      return base.create(key);
    },
    ...(direct
      ? {
          direct: Object.assign(Object.create(direct), {
            createPage(partKey: string, write: never) {
              if (hit(partKey)) throw fail();
              return direct.createPage(partKey, write);
            },
          }),
        }
      : {}),
  });
}

/** `storage` whose compose throws the first `n` times (an assembly that fails). */
function failingCompose(base: Storage, n: number): Storage {
  let left = n;
  return Object.assign(Object.create(base) as Storage, {
    async compose(key: string, segments: never) {
      if (left-- > 0) throw Object.assign(new Error("disk hiccup"), { code: "EIO" });
      return base.compose(key, segments);
    },
  });
}

/**
 * `base` without direct mode: on S3 the pages are then part objects, which these cases are about (a failed
 * compose, parts gone, kept or swept, a partial download); pages written directly are direct-s3.test.ts's.
 */
function partObjects(base: Storage): Storage {
  return Object.assign(Object.create(base) as Storage, { direct: undefined });
}

describe("retry", () => {
  it("a failure in the assembly: the retry assembles the pages it has", async () => {
    const e = await newExport("json", "/api/v1/products/?id__lte=250");
    const deps = engineDeps(t, partObjects(failingCompose(storage, 1)), { pageSize: 100, maxAttempts: 1 });
    const failed = await runUntilFailed(deps, e.id);
    expect(failed.errorMessage).toBe("EIO: disk hiccup");
    expect(failed.collectedCount).toBe(250);
    const retried = await retryExport(t.db, alice, e.id, retryDeps);
    expect(retried.status).toBe("preparing_file_creation");
    await drain(engineDeps(t, storage));
    await expectFileToEqualListedRecords(t.db, storage, await exportRow(t.db, e.id));
  });

  it("a failure at the start: the retry starts it", async () => {
    const e = await newExport("csv", "/api/v1/products/?id__lte=120");
    const deps = {
      ...engineDeps(t, storage, { pageSize: 100, maxAttempts: 1 }),
      faults: throwAt("start.recorded", 1),
    };
    const failed = await runUntilFailed(deps, e.id);
    expect(failed.collectedCount).toBe(0);
    await retryExport(t.db, alice, e.id, retryDeps);
    await drain(engineDeps(t, storage));
    await expectFileToEqualListedRecords(t.db, storage, await exportRow(t.db, e.id));
  });

  it("parts gone (an export that failed before retries kept them): the retry starts over, exact rows", async () => {
    const e = await newExport("json", "/api/v1/products/?id__lte=400");
    const deps = {
      ...engineDeps(t, partObjects(storage), { pageSize: 100, runPages: 8, maxAttempts: 1 }),
      faults: throwAt("page.recorded", 2),
    };
    const failed = await runUntilFailed(deps, e.id);
    expect(failed.collectedCount).toBe(200);
    await storage.removePrefix(keys.partsPrefix(e.id));
    const retried = await retryExport(t.db, root, e.id, retryDeps);
    expect(retried).toMatchObject({ status: "waiting", page: 1, collected_count: 0, uploaded_parts: [] });
    await drain(engineDeps(t, storage));
    await expectFileToEqualListedRecords(t.db, storage, await exportRow(t.db, e.id));
  });

  it("only a failed export, only its owner or a superuser, within the owner's active limit", async () => {
    const e = await newExport("json", "/api/v1/products/?id__lte=300");
    // Waiting: 409.
    expect(await codeOf(retryExport(t.db, alice, e.id, retryDeps))).toBe("CONFLICT");
    const deps = {
      ...engineDeps(t, partObjects(storage), { pageSize: 100, runPages: 8, maxAttempts: 1 }),
      faults: throwAt("page.recorded", 1),
    };
    await runUntilFailed(deps, e.id);
    // Someone else's: 404, as for any other read; a non-UUID too.
    expect(await codeOf(retryExport(t.db, bob, e.id, retryDeps))).toBe("NOT_FOUND");
    expect(await codeOf(retryExport(t.db, alice, "nope", retryDeps))).toBe("NOT_FOUND");
    // The owner at their limit of unfinished exports: 429.
    const busy = await newExport("csv");
    expect(await codeOf(retryExport(t.db, alice, e.id, { storage, limits: { maxActivePerUser: 1 } }))).toBe(
      "TOO_MANY_REQUESTS",
    );
    // A partial download of a failed export with rows works while it is failed; once retried, it is a conflict.
    await openPartialDownload(t.db, storage, alice, e.id);
    const retried = await retryExport(t.db, root, e.id, retryDeps);
    expect(retried.status).toBe("waiting_next_page");
    expect(await codeOf(retryExport(t.db, alice, e.id, retryDeps))).toBe("CONFLICT");
    expect(await codeOf(openPartialDownload(t.db, storage, alice, e.id))).toBe("CONFLICT");
    await drain(engineDeps(t, storage));
    await expectFileToEqualListedRecords(t.db, storage, await exportRow(t.db, e.id));
    await expectFileToEqualListedRecords(t.db, storage, await exportRow(t.db, busy.id));
  });

  it("a failure before any row: no partial file (409)", async () => {
    const e = await newExport("csv", "/api/v1/products/?id__lte=50");
    const deps = {
      ...engineDeps(t, storage, { pageSize: 100, maxAttempts: 1 }),
      faults: throwAt("start.recorded", 1),
    };
    await runUntilFailed(deps, e.id);
    expect(await codeOf(openPartialDownload(t.db, storage, alice, e.id))).toBe("CONFLICT");
    expect(await codeOf(openPartialDownload(t.db, storage, bob, e.id))).toBe("NOT_FOUND");
  });

  it("the sweep keeps a failed export's parts until it expires; then they go, and a retry is a 409", async () => {
    const e = await newExport("json", "/api/v1/products/?id__lte=300");
    const deps = {
      ...engineDeps(t, partObjects(storage), { pageSize: 100, runPages: 8, maxAttempts: 1 }),
      faults: throwAt("page.recorded", 2),
    };
    await runUntilFailed(deps, e.id);
    await sweepStorage(t.db, storage);
    expect(await storage.list(keys.partsPrefix(e.id))).toHaveLength(2);
    await t.db
      .update(exports)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(exports.id, e.id));
    expect((await sweepStorage(t.db, storage)).expired).toBeGreaterThanOrEqual(1);
    expect(await storage.list(keys.partsPrefix(e.id))).toEqual([]);
    expect(await codeOf(retryExport(t.db, alice, e.id, retryDeps))).toBe("CONFLICT");
    expect(await codeOf(openPartialDownload(t.db, storage, alice, e.id))).toBe("GONE");
  });
});
