import { eq } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../src/auth/actor";
import { exports } from "../src/db/schema";
import {
  closeExportsChangeFeed,
  EXPORTS_CHANGED_CHANNEL,
  type ExportsChangeFeed,
  exportsChangeFeed,
} from "../src/exports/change-feed";
import { cancelExport } from "../src/exports/service";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../src/testing";

let t: TestDatabase;
let feed: ExportsChangeFeed;
let admin: Actor;
/** Another connection, as another process (a worker) would write. */
let other: pg.Client;

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await createActor(t.db, "root", true);
  feed = exportsChangeFeed(t.db, { minBackoffMs: 300, maxBackoffMs: 1_000, log: () => {} });
  other = new pg.Client({ connectionString: t.url });
  await other.connect();
});

afterAll(async () => {
  await closeExportsChangeFeed(t.db);
  await other?.end();
  await t?.destroy();
});

/** Polls until `check` holds (notifications arrive asynchronously); fails after `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function insertRow(): Promise<string> {
  const { rows } = await other.query<{ id: string }>(
    "insert into exports (request_path, requested_by) values ('/api/v1/products/', $1) returning id",
    [admin.id],
  );
  const id = rows[0]?.id;
  if (!id) throw new Error("no row");
  return id;
}

describe("ExportsChangeFeed", () => {
  it("is one feed per database handle", () => {
    expect(exportsChangeFeed(t.db)).toBe(feed);
  });

  it("goes live, and a write from another connection bumps the generation", async () => {
    expect(await feed.whenLive(10_000)).toBe(true);
    const id = await insertRow();
    let before = feed.generation;
    await other.query("update exports set status = 'processing', collected_count = 5 where id = $1", [id]);
    await eventually(() => feed.generation > before, "an UPDATE from another connection");

    before = feed.generation;
    await other.query("delete from exports where id = $1", [id]);
    await eventually(() => feed.generation > before, "a DELETE from another connection");

    before = feed.generation;
    await other.query("truncate exports cascade");
    await eventually(() => feed.generation > before, "a TRUNCATE from another connection");
    expect(feed.live).toBe(true);
  });

  it("notifies on commit, not before; a rolled-back write notifies nothing", async () => {
    const id = await insertRow();
    await eventually(() => feed.live, "live");
    // Let the insert's own notification land first.
    const settled = feed.generation;
    await eventually(async () => {
      const g = feed.generation;
      await new Promise((r) => setTimeout(r, 50));
      return feed.generation === g;
    }, "quiet");
    expect(feed.generation).toBeGreaterThanOrEqual(settled);

    await other.query("begin");
    await other.query("update exports set collected_count = 7 where id = $1", [id]);
    const during = feed.generation;
    await new Promise((r) => setTimeout(r, 100));
    expect(feed.generation).toBe(during); // not committed yet
    await other.query("rollback");
    await new Promise((r) => setTimeout(r, 100));
    expect(feed.generation).toBe(during);

    await other.query("begin");
    await other.query("update exports set collected_count = 8 where id = $1", [id]);
    await other.query("commit");
    await eventually(() => feed.generation > during, "the committed UPDATE");
  });

  it("onChange listeners hear each change until removed (the live dashboard's hub listens this way)", async () => {
    expect(await feed.whenLive(10_000)).toBe(true);
    const baseline = feed.listenerCount;
    let heard = 0;
    const remove = feed.onChange(() => heard++);
    expect(feed.listenerCount).toBe(baseline + 1);
    feed.bump();
    expect(heard).toBe(1);
    const id = await insertRow();
    await eventually(() => heard > 1, "a notification from another connection");
    remove();
    remove(); // twice is harmless
    expect(feed.listenerCount).toBe(baseline);
    const after = heard;
    await other.query("update exports set collected_count = 9 where id = $1", [id]);
    feed.bump();
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toBe(after);
  });

  it("bump() and the write services bump at once, before any notification can arrive", async () => {
    const before = feed.generation;
    feed.bump();
    expect(feed.generation).toBe(before + 1);

    const created = await createTestExport(t.db, admin, { request_path: "/api/v1/products/" });
    const afterCreate = feed.generation;
    expect(afterCreate).toBeGreaterThan(before + 1);

    await cancelExport(t.db, admin, created.id);
    expect(feed.generation).toBeGreaterThan(afterCreate);
    const [row] = await t.db.select().from(exports).where(eq(exports.id, created.id));
    expect(row?.status).toBe("cancelled");
  });

  it("is not live once its connection is terminated, then reconnects with a new generation", async () => {
    await eventually(() => feed.live, "live");
    const pid = feed.backendPid;
    expect(pid).toBeTypeOf("number");
    const before = feed.generation;
    const { rows } = await other.query<{ ok: boolean }>("select pg_terminate_backend($1) as ok", [pid]);
    expect(rows[0]?.ok).toBe(true);
    await eventually(() => !feed.live, "down after pg_terminate_backend");
    await eventually(() => feed.live, "live again");
    expect(feed.backendPid).not.toBe(pid);
    expect(feed.generation).toBeGreaterThan(before);

    // And it listens again.
    const g = feed.generation;
    await other.query(`notify ${EXPORTS_CHANGED_CHANNEL}`);
    await eventually(() => feed.generation > g, "a notification after the reconnect");
  });

  it("while down, generation moves on when it comes back, even if nothing was notified", async () => {
    await eventually(() => feed.live, "live");
    const pid = feed.backendPid;
    const before = feed.generation;
    // A write while the feed has no connection: its notification is lost; coming back must still invalidate.
    await other.query("select pg_terminate_backend($1)", [pid]);
    await eventually(() => !feed.live, "down");
    const whileDown = feed.generation;
    expect(whileDown).toBeGreaterThan(before);
    await insertRow();
    await eventually(() => feed.live, "live again");
    expect(feed.generation).toBeGreaterThan(whileDown);
  });

  it("is never live without the trigger that would notify it", async () => {
    await eventually(() => feed.live, "live");
    await other.query("alter table exports disable trigger exports_changed");
    try {
      await other.query("select pg_terminate_backend($1)", [feed.backendPid]);
      await eventually(() => !feed.live, "down");
      // Several reconnect attempts (300 ms, then doubling up to 1 s): none may go live.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(feed.live).toBe(false);
    } finally {
      await other.query("alter table exports enable trigger exports_changed");
    }
    await eventually(() => feed.live, "live once the trigger is back");
  });

  it("close() stops it for good", async () => {
    const feed2 = exportsChangeFeed(t.db);
    await closeExportsChangeFeed(t.db);
    expect(feed2.live).toBe(false);
    expect(await feed2.whenLive(50)).toBe(false);
    // A later use starts a new one.
    const feed3 = exportsChangeFeed(t.db, { log: () => {} });
    expect(feed3).not.toBe(feed2);
    expect(await feed3.whenLive(10_000)).toBe(true);
    feed = feed3;
  });
});
