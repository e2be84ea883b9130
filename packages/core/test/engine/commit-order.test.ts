import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { runOnce } from "../../src/engine/runner";
import { seedProducts } from "../../src/seed/products";
import type { Storage } from "../../src/storage";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { drain, engineDeps, expectFileToEqualListedRecords, exportRow, tempStorage } from "./helpers";

/**
 * A run of pages (steps/copy-run.ts) reads on while the page before is committed and recorded. Whatever the
 * timing, and however far a run reads ahead, a page is recorded only once its part is durable, and records go in
 * page order: a page whose part commits late holds back the pages after it, and one whose commit fails leaves
 * them unrecorded.
 */

let t: TestDatabase;
let alice: Actor;
const storage = tempStorage();

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 700);
});

afterAll(async () => {
  await t?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const partPage = (key: string) => Number(/\/(\d+)-[^/]*$/.exec(key)?.[1] ?? Number.NaN);

/** Runs each part's commit (its durability step: synced and renamed, or its last part uploaded) through `hook`. */
type CommitHook = <T>(key: string, commit: () => Promise<T>, abort: () => Promise<void>) => Promise<T>;

function withCommitHook(base: Storage, hook: CommitHook): Storage {
  // A delegating object: the page's own fields (its `mode`, set as it finishes) read through, live.
  const wrap = <P extends { commit(): Promise<unknown>; abort(): Promise<void> }>(
    key: string,
    pending: P,
  ): P =>
    Object.assign(Object.create(pending) as P, {
      commit: () =>
        hook(
          key,
          () => pending.commit(),
          () => pending.abort(),
        ),
      abort: () => pending.abort(),
    });
  const direct = base.direct;
  return Object.assign(Object.create(base) as Storage, {
    create: async (key: string) => wrap(key, await base.create(key)),
    direct: direct
      ? Object.assign(Object.create(direct) as typeof direct, {
          createPage: (key: string, write: Parameters<typeof direct.createPage>[1]) =>
            wrap(key, direct.createPage(key, write)),
        })
      : undefined,
  });
}

let serial = 0;
const newExport = async () =>
  await createTestExport(t.db, alice, {
    // Every default field: on S3 (a small minimum part) the pages go to the result's upload directly.
    request_path: "/api/v1/products/?id__lte=600",
    action_name: `order ${serial++}`,
  });

describe("a run's records: in page order, each after its part is durable", () => {
  it("page 2's part held at its durability step: nothing after page 1 is recorded until it is durable", async () => {
    let id = "";
    const durable = new Set<number>();
    let releasePage2: () => void = () => {};
    const page3 = new Promise<void>((resolve) => {
      releasePage2 = resolve;
    });
    const seen: Array<{ page: number; collectedCount: number; parts: number }> = [];
    const hooked = withCommitHook(storage, async (key, commit) => {
      const n = partPage(key);
      if (!key.startsWith(`parts/${id}/`)) return commit();
      if (n === 2) {
        // Held until page 3's part is durable (a run that commits pages behind its reading), or a while (one
        // that reads a page ahead, whose page 3 waits for page 2's record): the export is looked at all along.
        let held = true;
        const until = Promise.race([page3, sleep(300)]).then(() => {
          held = false;
        });
        while (held) {
          const row = await exportRow(t.db, id);
          seen.push({ page: row.page, collectedCount: row.collectedCount, parts: row.uploadedParts.length });
          await Promise.race([until, sleep(5)]);
        }
      }
      const result = await commit();
      durable.add(n);
      if (n === 3) releasePage2();
      return result;
    });
    // The n-th record must find pages 1..n durable (checked the moment the record's update returned).
    const violations: string[] = [];
    let records = 0;
    const deps = {
      ...engineDeps(t, hooked, { pageSize: 100, runPages: 8 }),
      faults: (point: string) => {
        if (point !== "page.recorded") return;
        records++;
        for (let p = 1; p <= records; p++) {
          if (!durable.has(p)) violations.push(`record ${records} before page ${p}'s part was durable`);
        }
      },
    };
    id = (await newExport()).id;
    await drain(deps);
    expect(seen.length).toBeGreaterThan(0);
    // While page 2's part was not durable, nothing past page 1 was recorded (nor page 3, had its part committed).
    for (const s of seen) {
      expect(s.page).toBeLessThanOrEqual(2);
      expect(s.collectedCount).toBeLessThanOrEqual(100);
      expect(s.parts).toBeLessThanOrEqual(1);
    }
    expect(violations).toEqual([]);
    expect(records).toBe(6);
    const row = await exportRow(t.db, id);
    expect(row.status).toBe("completed");
    await expectFileToEqualListedRecords(t.db, storage, row);
  });

  it("page 2's part fails at its durability step while page 3 is read: only page 1 stays recorded, the retry is exact", async () => {
    let id = "";
    let failed = false;
    let page3Committed: () => void = () => {};
    const page3 = new Promise<void>((resolve) => {
      page3Committed = resolve;
    });
    const hooked = withCommitHook(storage, async (key, commit, abort) => {
      const n = partPage(key);
      if (!key.startsWith(`parts/${id}/`)) return commit();
      if (n === 2 && !failed) {
        failed = true;
        await Promise.race([page3, sleep(300)]);
        await abort();
        throw Object.assign(new Error("fsync failed"), { code: "EIO" });
      }
      const result = await commit();
      if (n === 3) page3Committed();
      return result;
    });
    const deps = engineDeps(t, hooked, { pageSize: 100, runPages: 8, backoffMs: 1 });
    id = (await newExport()).id;
    expect(await runOnce(deps, "w1")).toMatchObject({ outcome: "retry", error: "EIO: fsync failed" });
    const row = await exportRow(t.db, id);
    expect(row).toMatchObject({ status: "waiting_next_page", page: 2, collectedCount: 100, attempts: 1 });
    expect(row.uploadedParts).toHaveLength(1);
    // Page 3's part (read ahead, committed or not) went with the run: only recorded parts are left.
    for (const key of await storage.list(`parts/${id}`)) expect(row.uploadedParts).toContain(key);
    await sleep(5);
    await drain(deps);
    const done = await exportRow(t.db, id);
    expect(done.status).toBe("completed");
    await expectFileToEqualListedRecords(t.db, storage, done);
  });
});
