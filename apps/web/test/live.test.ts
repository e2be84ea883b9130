import {
  closeExportChangeHub,
  createApiKey,
  createUser,
  exportChangeHub,
  exportsChangeFeed,
  revokeApiKey,
} from "@exports/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "~/server/db";
import { LIVE_RECHECK_MS, type LiveEvent, openStreamCount } from "~/server/trpc/live-stream";
import { LIVE_PING_MS, LIVE_STREAMS_PER_USER } from "~/trpc/limits";
import { type Harness, startHarness, type TestUser } from "./harness";
import { dataOf, listenWeb, openSse, type SseEvent, type SseStream } from "./sse-client";

// The dashboard's live updates (issue 16): the tRPC subscription `exports.changes` over real HTTP server-sent
// events, through the web server's own request listener, fed by the exports table's LISTEN/NOTIFY feed. The
// changes are written through the test's own pool, as a worker process would write them.

let h: Harness;
let web: Awaited<ReturnType<typeof listenWeb>>;
const PASSWORD = "correct horse battery staple";

beforeAll(async () => {
  h = await startHarness();
  web = await listenWeb();
  await createUser(h.db, { username: "carol", password: PASSWORD });
});

afterAll(async () => {
  await web?.close();
  await h?.close();
});

const CHANGES = "/api/trpc/exports.changes";
const withLastEventId = (id: string) =>
  `${CHANGES}?input=${encodeURIComponent(JSON.stringify({ lastEventId: id }))}`;
const token = (u: TestUser) => ({ Authorization: `Token ${u.token}` });
const opened: SseStream[] = [];

/** A stream that answered `connected`, with the hub's first read done (changes from now on are told). */
async function subscribe(headers: Record<string, string>, path = CHANGES): Promise<SseStream> {
  const stream = await openSse(web.base, path, headers);
  opened.push(stream);
  await stream.waitFor((e) => e.event === "connected", "the connected event");
  await eventually(() => exportChangeHub(getDb()).primed, "the hub's first read");
  return stream;
}

async function eventually(check: () => boolean, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const exportEvent =
  (id: string, match: (e: Extract<LiveEvent, { kind: "export" }>) => boolean = () => true) =>
  (e: SseEvent) => {
    if (e.event !== "message") return false;
    const data = dataOf<LiveEvent>(e);
    return data.kind === "export" && data.export.id === id && match(data);
  };

const mentions = (stream: SseStream, id: string) => stream.events.some((e) => e.data.includes(id));

async function setCollected(id: string, collectedCount: number) {
  await h.testDb.pool.query(
    "update exports set collected_count = $2, total_count = 1000, status = 'processing', modified_date = now() where id = $1",
    [id, collectedCount],
  );
}

describe("exports.changes over server-sent events", () => {
  it("streams: event-stream headers, no caching, the connected event at once, then keep-alive pings", async () => {
    const stream = await subscribe(token(h.alice));
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    // Not stored, and not compressed by a proxy on the way (which would hold events back).
    expect(stream.headers.get("cache-control")).toContain("no-store");
    expect(stream.headers.get("cache-control")).toContain("no-transform");
    expect(stream.headers.get("x-accel-buffering")).toBe("no");
    expect(stream.headers.get("content-length")).toBeNull();
    await stream.waitFor((e) => e.event === "ping", "a ping", LIVE_PING_MS + 5_000);
    stream.close();
  });

  it("tells an export's change to its owner and to superusers, never to another user", async () => {
    const alice = await subscribe(token(h.alice));
    const bob = await subscribe(token(h.bob));
    const root = await subscribe(token(h.root));

    const mine = await h.insertExport(h.alice);
    const created = await alice.waitFor(exportEvent(mine.id), "alice's new export");
    expect(dataOf<LiveEvent>(created)).toMatchObject({ kind: "export", isNew: true });

    const changedAt = Date.now();
    await setCollected(mine.id, 7);
    const progress = await alice.waitFor(
      exportEvent(mine.id, (e) => e.export.collected_count === 7),
      "alice's progress",
    );
    const latency = Date.now() - changedAt;
    console.log(`[live.test] change → owner's stream: ${latency} ms`);
    expect(progress.id).toMatch(/^\d+-/);
    const pushed = dataOf<Extract<LiveEvent, { kind: "export" }>>(progress).export;
    // Exactly what retrieve answers.
    const retrieved = await h.call("GET", `/api/v1/exports/${mine.id}/`, { token: h.alice.token });
    expect(pushed).toEqual(retrieved.body);
    await root.waitFor(
      exportEvent(mine.id, (e) => e.export.collected_count === 7),
      "root sees it",
    );

    // Bob's own change arrives after alice's (one hub, in order): had alice's reached him, it would be there.
    const his = await h.insertExport(h.bob);
    await setCollected(his.id, 3);
    await bob.waitFor(
      exportEvent(his.id, (e) => e.export.collected_count === 3),
      "bob's progress",
    );
    await root.waitFor(
      exportEvent(his.id, (e) => e.export.collected_count === 3),
      "root sees bob's",
    );
    expect(mentions(bob, mine.id)).toBe(false);
    expect(mentions(alice, his.id)).toBe(false);
    for (const s of [alice, bob, root]) s.close();
  });

  it("a reconnecting stream with lastEventId gets what it missed, and only what its user may see", async () => {
    const alice = await subscribe(token(h.alice));
    const e = await h.insertExport(h.alice);
    await setCollected(e.id, 1);
    const last = await alice.waitFor(
      exportEvent(e.id, (x) => x.export.collected_count === 1),
      "progress",
    );
    alice.close();

    await setCollected(e.id, 42); // while nobody listens
    const resumed = await subscribe(token(h.alice), withLastEventId(last.id ?? ""));
    await resumed.waitFor(
      exportEvent(e.id, (x) => x.export.collected_count === 42),
      "the missed change",
    );
    // The browser's own reconnection sends the header instead.
    const byHeader = await subscribe({ ...token(h.alice), "Last-Event-ID": last.id ?? "" });
    await byHeader.waitFor(
      exportEvent(e.id, (x) => x.export.collected_count === 42),
      "by header",
    );
    // Bob presenting alice's event id learns nothing of her export.
    const bob = await subscribe(token(h.bob), withLastEventId(last.id ?? ""));
    const his = await h.insertExport(h.bob);
    await bob.waitFor(exportEvent(his.id), "bob's own export");
    expect(mentions(bob, e.id)).toBe(false);
    for (const s of [resumed, byHeader, bob]) s.close();
  });

  it("refuses a caller without credentials, and ends a session's stream when the session is signed out", async () => {
    const anonymous = await openSse(web.base, CHANGES);
    const refused = await anonymous.waitFor((e) => e.event === "serialized-error", "the refusal");
    expect(dataOf<{ data: { code: string } }>(refused).data.code).toBe("UNAUTHORIZED");
    await anonymous.ended;

    const signIn = await fetch(new URL("/api/trpc/auth.signIn", web.base), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "carol", password: PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    const cookies = new Map(
      signIn.headers.getSetCookie().map((c): [string, string] => {
        const pair = c.split(";")[0] ?? "";
        const at = pair.indexOf("=");
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    );
    const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const carol = await subscribe({ Cookie: cookie });

    const signOut = await fetch(new URL("/api/trpc/auth.signOut", web.base), {
      method: "POST",
      headers: {
        Cookie: cookie,
        "Content-Type": "application/json",
        "x-csrf-token": decodeURIComponent(cookies.get("exports_csrf") ?? ""),
      },
      body: "{}",
    });
    expect(signOut.status).toBe(200);
    const ended = await carol.waitFor(
      (e) => e.event === "serialized-error",
      "the end of the stream",
      LIVE_RECHECK_MS + 10_000,
    );
    expect(dataOf<{ data: { code: string } }>(ended).data.code).toBe("UNAUTHORIZED");
    await carol.ended;
  });

  it("ends a key's stream when the key is revoked, and refuses a key without exports:read (issue 18)", async () => {
    const writer = await createApiKey(h.db, h.alice.actor, { name: "w", scopes: ["exports:write"] });
    const refusedStream = await openSse(web.base, CHANGES, { Authorization: `Token ${writer.token}` });
    const refused = await refusedStream.waitFor((e) => e.event === "serialized-error", "the refusal");
    expect(dataOf<{ data: { code: string } }>(refused).data.code).toBe("FORBIDDEN");
    await refusedStream.ended;

    const reader = await createApiKey(h.db, h.alice.actor, { name: "r", scopes: ["exports:read"] });
    const stream = await subscribe({ Authorization: `Token ${reader.token}` });
    await revokeApiKey(h.db, h.alice.actor, reader.id);
    const ended = await stream.waitFor(
      (e) => e.event === "serialized-error",
      "the end of the stream",
      LIVE_RECHECK_MS + 10_000,
    );
    expect(dataOf<{ data: { code: string } }>(ended).data.code).toBe("UNAUTHORIZED");
    await stream.ended;
  });

  it("bounds the streams per user", async () => {
    const streams: SseStream[] = [];
    for (let i = 0; i < LIVE_STREAMS_PER_USER; i++) streams.push(await subscribe(token(h.bob)));
    const extra = await openSse(web.base, CHANGES, token(h.bob));
    const refused = await extra.waitFor((e) => e.event === "serialized-error", "the refusal");
    expect(dataOf<{ data: { code: string; httpStatus: number } }>(refused).data).toMatchObject({
      code: "TOO_MANY_REQUESTS",
      httpStatus: 429,
    });
    // Another user is not affected.
    const alice = await subscribe(token(h.alice));
    for (const s of [...streams, alice]) s.close();
  });

  it("a client that goes away leaves no stream, hub subscriber or feed listener behind", async () => {
    for (const s of opened) s.close();
    const feed = exportsChangeFeed(getDb());
    await eventually(() => openStreamCount() === 0, "every earlier stream closed");
    expect(exportChangeHub(getDb()).subscriberCount).toBe(0);
    const baseline = feed.listenerCount;

    const streams = [await subscribe(token(h.alice)), await subscribe(token(h.bob))];
    expect(openStreamCount()).toBe(2);
    expect(exportChangeHub(getDb()).subscriberCount).toBe(2);
    expect(feed.listenerCount).toBe(baseline + 1);

    for (const s of streams) s.close();
    await eventually(() => openStreamCount() === 0, "the streams closed on the server");
    expect(exportChangeHub(getDb()).subscriberCount).toBe(0);
    expect(feed.listenerCount).toBe(baseline);
  });

  // Last: it ends this file's hub (shutdown), as the web server's close() does before it waits for connections.
  it("the server stopping ends every stream with its end event, so that connections close", async () => {
    const streams = [await subscribe(token(h.alice)), await subscribe(token(h.root))];
    closeExportChangeHub(getDb());
    for (const s of streams) {
      await s.waitFor((e) => e.event === "return", "the end event");
      await s.ended;
    }
    await eventually(() => openStreamCount() === 0, "no stream left");
  });
});
