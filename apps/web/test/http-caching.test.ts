import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ExportDto } from "@exports/core";
import { DEFAULT_ENGINE_CONFIG, LocalStorage, runOnce } from "@exports/core/node";
import { seedProducts } from "@exports/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertExportRecord } from "./contract";
import { type CompletedDownload, exportEveryFormat, type Harness, startHarness } from "./harness";

// What REST consumers expect of HTTP (issue 12 §5): byte ranges and strong ETags on downloads, so that a broken
// download resumes and a repeated one costs a 304; a strong ETag on retrieve.

// The routes find their storage through getStorage() (STORAGE_DIR, read once by env()).
const STORAGE_DIR = mkdtempSync(path.join(os.tmpdir(), "exports-web-range-"));
process.env.STORAGE_DIR = STORAGE_DIR;
const storage = new LocalStorage(STORAGE_DIR);

let h: Harness;
/** One completed export per format, each composed from many parts (13 rows a page). */
let done: Record<"csv" | "json" | "xls", CompletedDownload>;

async function drain() {
  const deps = {
    db: h.db,
    pool: h.testDb.pool,
    storage,
    config: { ...DEFAULT_ENGINE_CONFIG, pageSize: 13, backoffMs: 10 },
  };
  for (let i = 0; i < 1000; i++) if (!(await runOnce(deps, `range-test:${i}`))) return;
  throw new Error("the engine did not finish");
}

const get = (url: string, headers: Record<string, string> = {}, method = "GET") =>
  h.send(method, url, { token: h.alice.token, headers });

const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer());

beforeAll(async () => {
  h = await startHarness();
  await seedProducts(h.db, 120);
  done = await exportEveryFormat(h, storage, drain);
  // Composed from its parts (a folder with a manifest), read back as one file.
  for (const d of Object.values(done)) expect(d.bytes.length).toBeGreaterThan(1000);
});

afterAll(async () => {
  await h?.close();
  await rm(STORAGE_DIR, { recursive: true, force: true });
});

describe("downloads: Accept-Ranges and a strong ETag", () => {
  it("advertises byte ranges and a strong ETag, the same for every request of the same file", async () => {
    const first = await get(done.csv.url);
    expect(first.status).toBe(200);
    expect(first.headers.get("accept-ranges")).toBe("bytes");
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/); // strong: no W/
    expect((await bytesOf(first)).equals(done.csv.bytes)).toBe(true);
    const root = await h.send("GET", done.csv.url, { token: h.root.token });
    expect(root.headers.get("etag")).toBe(etag);
    await root.arrayBuffer();
    const json = await get(done.json.url);
    expect(json.headers.get("etag")).not.toBe(etag);
    await json.arrayBuffer();
  });
});

describe("downloads: Range → 206 with exactly those bytes (composed results, every format)", () => {
  it.each(["csv", "json", "xls"] as const)("%s", async (format) => {
    const { url, bytes } = done[format];
    const size = bytes.length;
    const mid = Math.floor(size / 3);
    const cases: Array<[string, number, number]> = [
      ["bytes=0-0", 0, 1],
      ["bytes=5-17", 5, 18],
      // Across several parts of the composed file.
      [`bytes=${mid}-${2 * mid}`, mid, 2 * mid + 1],
      [`bytes=${size - 1}-${size - 1}`, size - 1, size],
      ["bytes=100-", 100, size],
      ["bytes=-7", size - 7, size],
      // A last byte past the end, or a suffix longer than the file: up to the end (RFC 9110 §14.1.2).
      [`bytes=10-${size + 1000}`, 10, size],
      [`bytes=-${size + 100}`, 0, size],
      [" Bytes = 3-4 ", 3, 5],
    ];
    for (const [header, start, end] of cases) {
      const res = await get(url, { Range: header });
      expect(res.status, header).toBe(206);
      expect(res.headers.get("content-range"), header).toBe(`bytes ${start}-${end - 1}/${size}`);
      expect(res.headers.get("content-length"), header).toBe(String(end - start));
      expect(res.headers.get("accept-ranges"), header).toBe("bytes");
      expect(res.headers.get("content-disposition"), header).toMatch(/^attachment; /);
      expect((await bytesOf(res)).equals(bytes.subarray(start, end)), header).toBe(true);
    }
  });
});

describe("downloads: a broken download resumes", () => {
  it("reads the rest with Range + If-Range (the first answer's ETag) and gets the whole file", async () => {
    const { url, bytes } = done.xls;
    const first = await get(url);
    const etag = first.headers.get("etag") ?? "";
    // The connection breaks after some bytes.
    const reader = (first.body as ReadableStream<Uint8Array>).getReader();
    const { value } = await reader.read();
    await reader.cancel();
    const got = Buffer.from(value ?? new Uint8Array());
    const cut = Math.min(got.length, 777);
    const rest = await get(url, { Range: `bytes=${cut}-`, "If-Range": etag });
    expect(rest.status).toBe(206);
    expect(rest.headers.get("content-range")).toBe(`bytes ${cut}-${bytes.length - 1}/${bytes.length}`);
    expect(Buffer.concat([got.subarray(0, cut), await bytesOf(rest)]).equals(bytes)).toBe(true);
  });

  it("gets the whole file (200) when If-Range does not name the current file", async () => {
    const { url, bytes } = done.csv;
    for (const ifRange of ['"another-file"', 'W/"whatever"', "Wed, 21 Oct 2015 07:28:00 GMT"]) {
      const res = await get(url, { Range: "bytes=10-20", "If-Range": ifRange });
      expect(res.status, ifRange).toBe(200);
      expect(res.headers.get("content-range"), ifRange).toBeNull();
      expect((await bytesOf(res)).equals(bytes), ifRange).toBe(true);
    }
    // A weak form of our own tag is no match either: If-Range compares strongly.
    const etag = (await get(url, {}, "HEAD")).headers.get("etag") ?? "";
    const weak = await get(url, { Range: "bytes=10-20", "If-Range": `W/${etag}` });
    expect(weak.status).toBe(200);
    await weak.arrayBuffer();
  });

  it("gives a re-assembled file a new ETag, so a resume with the old one gets the whole new file", async () => {
    const { id, url, bytes } = done.json;
    const old = (await get(url, {}, "HEAD")).headers.get("etag") ?? "";
    // What a second assembly leaves: another attempt's key (same name), here with a changed last byte.
    const row = await h.findExport(id);
    const newKey = (row?.resultKey ?? "").replace(/\/([^/]+)\/([^/]+)$/, "/second-attempt/$2");
    const changed = Buffer.concat([bytes.subarray(0, -1), Buffer.from("\n")]);
    const file = await storage.create(newKey);
    file.stream.end(changed);
    await file.commit();
    const setKey = (key: string | null) =>
      h.testDb.pool.query("update exports set result_key = $2 where id = $1", [id, key]);
    await setKey(newKey);
    try {
      const res = await get(url, { Range: "bytes=50-", "If-Range": old });
      expect(res.status).toBe(200);
      expect(res.headers.get("etag")).not.toBe(old);
      expect((await bytesOf(res)).equals(changed)).toBe(true);
    } finally {
      await setKey(row?.resultKey ?? null);
    }
  });
});

describe("downloads: unsatisfiable and ignored ranges", () => {
  it("answers 416 JSON with Content-Range: bytes */size when no byte of the range exists", async () => {
    const { url, bytes } = done.csv;
    const size = bytes.length;
    for (const header of [`bytes=${size}-`, `bytes=${size + 5}-${size + 10}`, "bytes=-0"]) {
      const res = await h.call("GET", url, { token: h.alice.token, headers: { Range: header } });
      expect(res.status, header).toBe(416);
      expect(res.headers.get("content-range"), header).toBe(`bytes */${size}`);
      expect(res.body, header).toEqual({ detail: `Range not satisfiable: the file has ${size} bytes.` });
    }
  });

  it("ignores a malformed, invalid or multi-range Range (and other units): 200 with the whole file", async () => {
    const { url, bytes } = done.csv;
    for (const header of [
      "bytes=5-2",
      "bytes=abc",
      "bytes=",
      "bytes=-",
      "bytes=1-2-3",
      "bytes 0-5",
      "items=0-5",
      "bytes=0-1,5-6",
      "bytes=0-0,-1",
      `bytes=${bytes.length}-,0-1`,
    ]) {
      const res = await get(url, { Range: header });
      expect(res.status, header).toBe(200);
      expect(res.headers.get("content-range"), header).toBeNull();
      expect((await bytesOf(res)).equals(bytes), header).toBe(true);
    }
  });
});

describe("downloads: If-None-Match and HEAD", () => {
  it("answers 304 with the ETag and no body when If-None-Match names the file (weak comparison, lists, *)", async () => {
    const { url } = done.csv;
    const etag = (await get(url, {}, "HEAD")).headers.get("etag") ?? "";
    for (const header of [etag, `W/${etag}`, `"x", ${etag}`, "*"]) {
      const res = await get(url, { "If-None-Match": header });
      expect(res.status, header).toBe(304);
      expect(res.headers.get("etag"), header).toBe(etag);
      expect(res.headers.get("cache-control"), header).toBe("private, no-store");
      expect(await res.text(), header).toBe("");
    }
    // Before Range (RFC 9110 §13.2.2): a cached file needs no piece of it.
    expect((await get(url, { "If-None-Match": etag, Range: "bytes=0-5" })).status).toBe(304);
    const other = await get(url, { "If-None-Match": '"something-else"' });
    expect(other.status).toBe(200);
    await other.arrayBuffer();
  });

  it("answers HEAD with the headers of GET (200 or 206) and no body", async () => {
    const { url, bytes } = done.xls;
    const head = await get(url, {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(bytes.length));
    expect(head.headers.get("accept-ranges")).toBe("bytes");
    expect(head.headers.get("etag")).toMatch(/^"/);
    expect(head.body).toBeNull();
    const part = await get(url, { Range: "bytes=2-9" }, "HEAD");
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 2-9/${bytes.length}`);
    expect(part.headers.get("content-length")).toBe("8");
    expect(part.body).toBeNull();
  });

  it("still checks who asks: no token is 401, another user's export 404, whatever the conditions", async () => {
    const { url } = done.csv;
    const etag = (await get(url, {}, "HEAD")).headers.get("etag") ?? "";
    const anonymous = await h.call("GET", url, { token: null, headers: { "If-None-Match": etag } });
    expect(anonymous.status).toBe(401);
    const bob = await h.call("GET", url, { token: h.bob.token, headers: { "If-None-Match": "*" } });
    expect(bob.status).toBe(404);
    const bobRange = await h.call("GET", url, { token: h.bob.token, headers: { Range: "bytes=0-1" } });
    expect(bobRange.status).toBe(404);
  });
});

describe("retrieve: a strong ETag of the body", () => {
  it("sends a strong ETag; If-None-Match with it → 304 without a body; the 200 is still the contract's", async () => {
    const url = `/api/v1/exports/${done.csv.id}/`;
    const res = await h.call("GET", url, { token: h.alice.token });
    expect(res.status).toBe(200);
    assertExportRecord(res.body);
    const etag = res.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    // Same body, same tag.
    expect((await h.call("GET", url, { token: h.alice.token })).headers.get("etag")).toBe(etag);
    for (const header of [etag, `W/${etag}`, `"nope", ${etag}`, "*"]) {
      const cached = await h.send("GET", url, { token: h.alice.token, headers: { "If-None-Match": header } });
      expect(cached.status, header).toBe(304);
      expect(cached.headers.get("etag"), header).toBe(etag);
      expect(await cached.text(), header).toBe("");
    }
    const stale = await h.call("GET", url, { token: h.alice.token, headers: { "If-None-Match": '"nope"' } });
    expect(stale.status).toBe(200);
    expect(stale.body).toEqual(res.body);
  });

  it("changes whenever the body does, even when modified_date does not move (collected_count)", async () => {
    const row = await h.insertExport(h.alice, { status: "processing", collectedCount: 10 });
    const url = `/api/v1/exports/${row.id}/`;
    const before = await h.call("GET", url, { token: h.alice.token });
    const etag = before.headers.get("etag") ?? "";
    // As a statement that leaves modified_date alone would (no trigger sets it).
    await h.testDb.pool.query("update exports set collected_count = 11 where id = $1", [row.id]);
    const after = await h.call("GET", url, { token: h.alice.token, headers: { "If-None-Match": etag } });
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({
      collected_count: 11,
      modified_date: before.body && (before.body as ExportDto).modified_date,
    });
    expect(after.headers.get("etag")).not.toBe(etag);
  });

  it("is checked after authentication and visibility: no token 401, another user's export 404", async () => {
    const url = `/api/v1/exports/${done.csv.id}/`;
    expect((await h.call("GET", url, { token: null, headers: { "If-None-Match": "*" } })).status).toBe(401);
    expect((await h.call("GET", url, { token: h.bob.token, headers: { "If-None-Match": "*" } })).status).toBe(
      404,
    );
  });
});
