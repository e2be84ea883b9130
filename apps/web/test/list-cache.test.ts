import { type ExportDto, exportsChangeFeed } from "@exports/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "~/server/db";
import { type CacheMode, cacheModeOf, listCache, ResponseMemo } from "~/server/rest/http/list-cache";
import { StringResponse } from "~/server/rest/http/string-response";
import { assertContract } from "./contract";
import { type CallOptions, type CallResult, type Harness, startHarness, type TestUser } from "./harness";

// The REST list's response cache (src/server/rest/http/list-cache.ts) over the exports change feed (@exports/core).

let h: Harness;
/** Another connection to this file's database (not the web's pool), writing as another process (a worker) would. */
let other: { query(text: string, params?: unknown[]): Promise<unknown>; release(): void };

beforeAll(async () => {
  h = await startHarness();
  other = await h.testDb.pool.connect();
});

afterAll(async () => {
  other?.release();
  await h?.close();
});

const LIST = "/api/v1/exports/?limit=100";

async function list(user: TestUser, path = LIST, options: CallOptions = {}): Promise<CallResult> {
  const res = await h.call("GET", path, { token: user.token, ...options });
  assertContract("GET", path, res);
  return res;
}
const ids = (res: CallResult) => (res.body as ExportDto[]).map((e) => e.id);
const cacheOf = (res: CallResult) => res.headers.get("x-cache");

/** Polls until `check` holds (a notification arrives asynchronously); fails after `ms`. */
async function eventually<T>(
  produce: () => Promise<T>,
  check: (value: T) => boolean,
  what: string,
  ms = 10_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await produce();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The web's feed (started by the first list) is live. */
async function feedLive() {
  expect(await exportsChangeFeed(getDb()).whenLive(10_000)).toBe(true);
}

/** Lists until the answer comes from the cache (the first answers may come before the feed is live). */
async function cachedList(user: TestUser, path = LIST): Promise<CallResult> {
  await list(user, path);
  await feedLive();
  return eventually(
    () => list(user, path),
    (r) => cacheOf(r) === "hit",
    "a cached answer",
  );
}

/** Stops the trigger so that a write goes unnoticed: what the cache serves is then visibly the cached answer. */
async function unnoticed(statement: string, params: unknown[]) {
  // One transaction: no other write can slip through unnoticed meanwhile.
  await other.query("begin");
  try {
    await other.query("alter table exports disable trigger exports_changed");
    await other.query(statement, params);
    await other.query("alter table exports enable trigger exports_changed");
    await other.query("commit");
  } catch (err) {
    await other.query("rollback");
    throw err;
  }
}

beforeEach(async () => {
  // Each test starts from a fresh feed generation (nothing cached is valid).
  exportsChangeFeed(getDb()).bump();
});

describe("the REST list's cache", () => {
  it("serves a repeated list from the cache: same status, body and headers", async () => {
    await h.insertExports(h.alice, [{}, {}]);
    const first = await list(h.alice);
    const hit = await cachedList(h.alice);
    expect(hit.status).toBe(200);
    expect(hit.text).toBe(first.text);
    for (const name of ["x-total-count", "link", "content-type", "content-length"])
      expect(hit.headers.get(name), name).toBe(first.headers.get(name));
    // The API's security headers are on a cached answer too.
    expect(hit.headers.get("x-content-type-options")).toBe(first.headers.get("x-content-type-options"));

    // Proof that it is not read again: a write the feed cannot notice is not in the cached answer...
    const [one] = ids(first);
    await unnoticed("update exports set collected_count = 4242 where id = $1", [one]);
    const stale = await list(h.alice);
    expect(cacheOf(stale)).toBe("hit");
    expect((stale.body as ExportDto[]).find((e) => e.id === one)?.collected_count).toBe(0);
    // ...while Cache-Control: no-cache reads the table, and refreshes the entry.
    const fresh = await list(h.alice, LIST, { headers: { "Cache-Control": "no-cache" } });
    expect(cacheOf(fresh)).toBe("bypass");
    expect((fresh.body as ExportDto[]).find((e) => e.id === one)?.collected_count).toBe(4242);
    const after = await list(h.alice);
    expect(cacheOf(after)).toBe("hit");
    expect(after.text).toBe(fresh.text);
  });

  it("HEAD is answered with the list's headers, cached or not", async () => {
    await cachedList(h.alice);
    const res = await h.send("HEAD", LIST, { token: h.alice.token });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-cache")).toBe("hit");
    expect(await res.text()).toBe("");
  });

  it("a create or cancel through the REST door is in the next list at once", async () => {
    const before = await cachedList(h.root);
    const created = await h.call("POST", "/api/v1/exports/", {
      token: h.root.token,
      body: { request_path: "/api/v1/products/" },
    });
    expect(created.status).toBe(201);
    const id = (created.body as ExportDto).id;
    // No waiting: the service bumped the generation when its transaction committed.
    const afterCreate = await list(h.root);
    expect(cacheOf(afterCreate)).toBe("miss");
    expect(ids(afterCreate)[0]).toBe(id);
    expect(Number(afterCreate.headers.get("x-total-count"))).toBe(
      Number(before.headers.get("x-total-count")) + 1,
    );

    await cachedList(h.root);
    const cancelled = await h.call("POST", `/api/v1/exports/${id}/set_cancel/`, { token: h.root.token });
    expect(cancelled.status).toBe(200);
    const afterCancel = await list(h.root);
    expect(cacheOf(afterCancel)).toBe("miss");
    expect((afterCancel.body as ExportDto[]).find((e) => e.id === id)?.status).toBe("cancelled");
  });

  it("a write by another process (the worker's progress) is listed once its notification arrived", async () => {
    const row = await h.insertExport(h.alice);
    await cachedList(h.alice);
    await other.query(
      "update exports set status = 'processing', collected_count = 17, page = 2 where id = $1",
      [row.id],
    );
    const seen = await eventually(
      () => list(h.alice),
      (r) => (r.body as ExportDto[]).find((e) => e.id === row.id)?.collected_count === 17,
      "the other connection's update in the list",
    );
    expect((seen.body as ExportDto[]).find((e) => e.id === row.id)?.status).toBe("processing");
    // And that answer is what is cached next.
    const next = await cachedList(h.alice);
    expect(next.text).toBe(seen.text);

    await other.query("delete from exports where id = $1", [row.id]);
    await eventually(
      () => list(h.alice),
      (r) => !ids(r).includes(row.id),
      "the other connection's delete in the list",
    );
  });

  it("never shows one actor's cached list to another (regular, other regular, superuser)", async () => {
    const a = await h.insertExport(h.alice);
    const b = await h.insertExport(h.bob);
    const alice = await cachedList(h.alice);
    const bob = await cachedList(h.bob);
    const root = await cachedList(h.root);
    expect(ids(alice)).toContain(a.id);
    expect(ids(alice)).not.toContain(b.id);
    expect(ids(bob)).toContain(b.id);
    expect(ids(bob)).not.toContain(a.id);
    expect(ids(root)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(Number(root.headers.get("x-total-count"))).toBeGreaterThan(
      Number(alice.headers.get("x-total-count")),
    );
    // Served again from the cache: each still their own.
    expect((await list(h.alice)).text).toBe(alice.text);
    expect((await list(h.bob)).text).toBe(bob.text);
    expect((await list(h.root)).text).toBe(root.text);

    // The same user made superuser (no write to exports): the superuser flag is part of the key.
    const carol = await h.addUser("carol-cache");
    const own = await cachedList(carol);
    expect(ids(own)).toEqual([]);
    await other.query("update users set is_superuser = true where id = $1", [carol.id]);
    const everyone = await list(carol);
    expect(cacheOf(everyone)).toBe("miss");
    expect(ids(everyone)).toEqual(expect.arrayContaining([a.id, b.id]));
  });

  it("keys by path and query: another page, limit or filter is another answer", async () => {
    await h.insertExports(h.bob, [{}, {}, {}]);
    const all = await cachedList(h.bob, "/api/v1/exports/?limit=100");
    const page2 = await list(h.bob, "/api/v1/exports/?limit=1&page=2");
    expect(cacheOf(page2)).toBe("miss");
    expect(ids(page2)).toEqual([ids(all)[1]]);
    const noSlash = await list(h.bob, "/api/v1/exports?limit=100");
    expect(cacheOf(noSlash)).toBe("miss");
    expect(noSlash.headers.get("link")).toContain("/api/v1/exports?");
    const filtered = await list(h.bob, "/api/v1/exports/?limit=100&status=completed");
    expect(ids(filtered)).toEqual([]);
  });

  it("authenticates every request, cached or not", async () => {
    await cachedList(h.alice);
    const res = await h.call("GET", LIST, { token: "not-a-token" });
    expect(res.status).toBe(401);
    const none = await h.call("GET", LIST, { token: null });
    expect(none.status).toBe(401);
  });

  it("serves nothing from the cache while the LISTEN connection is down", async () => {
    const row = await h.insertExport(h.alice);
    await cachedList(h.alice);
    const feed = exportsChangeFeed(getDb());
    const pid = feed.backendPid;
    await other.query("select pg_terminate_backend($1)", [pid]);
    // A write while it is down: no notification will ever come for it.
    await other.query("update exports set collected_count = 99 where id = $1", [row.id]);
    const res = await eventually(
      () => list(h.alice),
      (r) => (r.body as ExportDto[]).find((e) => e.id === row.id)?.collected_count === 99,
      "the write made while the feed was down",
    );
    expect(cacheOf(res)).toBe("miss");
    // Once it is back, answers are cached again.
    await eventually(
      async () => feed.live && feed.backendPid !== pid,
      (ok) => ok,
      "the feed reconnected",
    );
    const again = await cachedList(h.alice);
    expect((again.body as ExportDto[]).find((e) => e.id === row.id)?.collected_count).toBe(99);
  });

  it("is one memo per database handle", () => {
    expect(listCache(getDb())).toBe(listCache(getDb()));
  });
});

describe("ResponseMemo", () => {
  class FakeFeed {
    live = true;
    generation = 1;
  }
  const answer = (body: string, status = 200) =>
    new StringResponse(body, {
      status,
      headers: { "Content-Type": "application/json", "X-Total-Count": "1" },
    });
  const serve = (memo: ResponseMemo, key: string, body: string, mode: CacheMode = "use") => {
    let ran = false;
    return memo
      .serve(key, mode, async () => {
        ran = true;
        return answer(body);
      })
      .then(async (res) => ({ ran, body: await res.text(), cache: res.headers.get("x-cache"), res }));
  };

  it("the race: a change during the query means that answer is never served", async () => {
    const feed = new FakeFeed();
    const memo = new ResponseMemo(feed, 10);
    const first = await memo.serve("k", "use", async () => {
      const res = answer("old");
      feed.generation++; // a write commits while the query runs (its notification arrives meanwhile)
      return res;
    });
    expect(await first.text()).toBe("old");
    const second = await serve(memo, "k", "new");
    expect(second.ran).toBe(true);
    expect(second.body).toBe("new");
    const third = await serve(memo, "k", "newer");
    expect(third).toMatchObject({ ran: false, body: "new", cache: "hit" });
  });

  it("a change after the query invalidates the entry", async () => {
    const feed = new FakeFeed();
    const memo = new ResponseMemo(feed, 10);
    await serve(memo, "k", "a");
    expect(await serve(memo, "k", "b")).toMatchObject({ ran: false, body: "a" });
    feed.generation++;
    expect(await serve(memo, "k", "c")).toMatchObject({ ran: true, body: "c", cache: "miss" });
  });

  it("not live: nothing is served or kept; going live with a new generation does not revive old entries", async () => {
    const feed = new FakeFeed();
    const memo = new ResponseMemo(feed, 10);
    await serve(memo, "k", "a");
    feed.live = false;
    feed.generation++;
    expect(await serve(memo, "k", "b")).toMatchObject({ ran: true, body: "b" });
    expect(memo.size).toBe(1); // "a" only (never to be served again): "b" was not kept
    feed.live = true;
    feed.generation++;
    expect(await serve(memo, "k", "c")).toMatchObject({ ran: true, body: "c" });
    expect(await serve(memo, "k", "d")).toMatchObject({ ran: false, body: "c" });
  });

  it("keeps only 200 answers; no-cache refreshes, no-store neither reads nor writes", async () => {
    const feed = new FakeFeed();
    const memo = new ResponseMemo(feed, 10);
    await memo.serve("e", "use", async () => answer('{"detail":"x"}', 400));
    expect(memo.size).toBe(0);
    await serve(memo, "k", "a");
    expect(await serve(memo, "k", "b", "refresh")).toMatchObject({ ran: true, body: "b", cache: "bypass" });
    expect(await serve(memo, "k", "c")).toMatchObject({ ran: false, body: "b" });
    expect(await serve(memo, "k", "d", "skip")).toMatchObject({ ran: true, body: "d", cache: "bypass" });
    expect(await serve(memo, "k", "e")).toMatchObject({ ran: false, body: "b" });
  });

  it("is bounded: least recently used entries go first, by count and by bytes", async () => {
    const feed = new FakeFeed();
    const memo = new ResponseMemo(feed, 3);
    for (const k of ["a", "b", "c"]) await serve(memo, k, k);
    await serve(memo, "a", "a2"); // a is used: b is now the oldest
    await serve(memo, "d", "d");
    expect(memo.size).toBe(3);
    expect((await serve(memo, "b", "b2")).ran).toBe(true);
    expect((await serve(memo, "a", "a3")).ran).toBe(false);

    const small = new ResponseMemo(feed, 100, 80_000);
    for (let i = 0; i < 10; i++) await serve(small, `k${i}`, "x".repeat(4_000));
    expect(small.size).toBeLessThanOrEqual(9);
    expect((await serve(small, "k9", "y")).ran).toBe(false);
    expect((await serve(small, "k0", "y")).ran).toBe(true);
    // An answer larger than an eighth of the budget is never kept.
    await serve(small, "big", "x".repeat(20_000));
    expect((await serve(small, "big", "y")).ran).toBe(true);
  });

  it("0 entries: off", async () => {
    const memo = new ResponseMemo(new FakeFeed(), 0);
    await serve(memo, "k", "a");
    expect(await serve(memo, "k", "b")).toMatchObject({ ran: true, body: "b", cache: null });
  });

  it("reads the request's Cache-Control and Pragma", () => {
    const mode = (headers: Record<string, string>) => cacheModeOf(new Request("http://x/", { headers }));
    expect(mode({})).toBe("use");
    expect(mode({ "Cache-Control": "no-cache" })).toBe("refresh");
    expect(mode({ "Cache-Control": "max-age=0, No-Cache" })).toBe("refresh");
    expect(mode({ Pragma: "no-cache" })).toBe("refresh");
    expect(mode({ "Cache-Control": "no-store" })).toBe("skip");
    expect(mode({ "Cache-Control": "max-age=0" })).toBe("use");
  });
});
