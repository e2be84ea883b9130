import { type Actor, type Db, env, exportsChangeFeed } from "@exports/core";
import { StringResponse } from "./string-response";

/**
 * The REST exports list's answers, kept until the exports table changes (BENCHMARKS.md: uncached, no server
 * kept the list's p99 under 50 ms on the bench machine). The key is all an answer depends on besides the
 * table: the actor (SPEC §2.8) and the path and query as sent (`Link` never names the host). An entry keeps
 * the generation of core's `ExportsChangeFeed` read BEFORE its query ran, and is served only while the feed is
 * live and still there: any write committed since (ours on commit, others' on notification) or a LISTEN
 * outage makes it unusable. Only 200s are kept; concurrent misses each query; stale entries go when met or by
 * the LRU.
 */

/** Bounds: entries (LIST_CACHE_ENTRIES) and bytes; an answer over an eighth of the bytes is never kept. */
const MAX_BYTES = 32 * 1024 * 1024;

interface Entry {
  generation: number;
  status: number;
  headers: [string, string][];
  body: string;
  bytes: number;
}

/** What a cache needs to know of the table's changes: ExportsChangeFeed. */
export interface ChangeGenerations {
  readonly live: boolean;
  readonly generation: number;
}

export type CacheMode = "use" | "refresh" | "skip";

/** `no-cache` refreshes the entry, `no-store` neither reads nor writes it. */
export function cacheModeOf(req: Request): CacheMode {
  const directives = (req.headers.get("cache-control") ?? "").toLowerCase();
  if (/(^|[\s,])no-store\b/.test(directives)) return "skip";
  if (/(^|[\s,])no-cache\b/.test(directives) || /\bno-cache\b/i.test(req.headers.get("pragma") ?? ""))
    return "refresh";
  return "use";
}

export class ResponseMemo {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  readonly stats = { hits: 0, misses: 0, bypasses: 0 };

  constructor(
    readonly feed: ChangeGenerations,
    readonly maxEntries: number,
    readonly maxBytes: number = MAX_BYTES,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  async serve(key: string, mode: CacheMode, produce: () => Promise<Response>): Promise<Response> {
    if (this.maxEntries === 0) return produce();
    const feed = this.feed;
    if (mode === "use" && feed.live) {
      const entry = this.#entries.get(key);
      if (entry && entry.generation === feed.generation) {
        // Most recently used last: Map keeps insertion order, so the first key is the LRU victim.
        this.#entries.delete(key);
        this.#entries.set(key, entry);
        this.stats.hits++;
        const hit = new StringResponse(entry.body, { status: entry.status, headers: entry.headers });
        hit.setHeader("X-Cache", "hit");
        return hit;
      }
      if (entry) this.#remove(key, entry);
    }
    // Read before the query: a change committed from now on bumps it, and the answer is then never served.
    const generation = feed.generation;
    const wasLive = feed.live;
    const res = await produce();
    if (mode === "use") this.stats.misses++;
    else this.stats.bypasses++;
    if (
      mode !== "skip" &&
      wasLive &&
      feed.live &&
      feed.generation === generation &&
      res.status === 200 &&
      res instanceof StringResponse
    ) {
      const headers = [...(res.pendingHeaders() ?? res.headers)];
      const bytes = res.bodyText.length * 2 + 256;
      if (bytes <= this.maxBytes / 8) {
        const old = this.#entries.get(key);
        if (old) this.#remove(key, old);
        this.#entries.set(key, { generation, status: res.status, headers, body: res.bodyText, bytes });
        this.#bytes += bytes;
        this.#evict();
      }
    }
    const xCache = mode === "use" ? "miss" : "bypass";
    if (res instanceof StringResponse) res.setHeader("X-Cache", xCache);
    else res.headers.set("X-Cache", xCache);
    return res;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #remove(key: string, entry: Entry) {
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  #evict() {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#remove(key, entry);
    }
  }
}

export function listCacheKey(actor: Actor, url: URL): string {
  return `${actor.id}\u0000${actor.isSuperuser ? "s" : "u"}\u0000${url.pathname}${url.search}`;
}

/** One per database handle (tests get one per harness). */
const memos = new WeakMap<Db, ResponseMemo>();

/** The list cache of `db`, with its change feed started on first use. */
export function listCache(db: Db): ResponseMemo {
  let memo = memos.get(db);
  if (!memo) {
    const entries = env().LIST_CACHE_ENTRIES;
    // Off (0 entries): no LISTEN connection either.
    memo = new ResponseMemo(entries > 0 ? exportsChangeFeed(db) : { live: false, generation: 0 }, entries);
    memos.set(db, memo);
  }
  return memo;
}
