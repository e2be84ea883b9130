import { type Actor, type Db, env, exportsChangeFeed } from "@exports/core";
import { StringResponse } from "./string-response";

/**
 * The REST exports list's answers, kept until the exports table changes (BENCHMARKS.md: no server that reads
 * 100 rows and a count per request kept the list's p99 under 50 ms on the bench machine).
 *
 * What an answer depends on is its key: the actor (id and superuser flag: SPEC §2.8 visibility) and the request's
 * path and query exactly as sent (the `Link` header repeats them; it is built from path and query only, never
 * from the host, so the host is not part of the key). Everything else comes from the exports table, which
 * `ExportsChangeFeed` (@exports/core) watches: an entry keeps the feed's generation read BEFORE the query ran,
 * and is served only while the feed is live and its generation is still that one. So a write committed while
 * the query ran, this process's own writes (bumped on commit), and anything notified while the LISTEN
 * connection was down all make the entry unusable. A write by another process is seen once its notification
 * arrives (on one machine well under a millisecond after its commit).
 *
 * `Cache-Control: no-cache` (or `no-store`) in the request skips the lookup; a no-cache answer still refreshes
 * the entry. Every answer of the list says `X-Cache: hit`, `miss` or `bypass`.
 *
 * Deliberately simple: only 200 answers are kept; concurrent misses of one key each run the query (no request
 * coalescing: after an invalidation a burst of misses costs what an uncached list costs, nothing more); entries
 * of an older generation are dropped when met or pushed out by the LRU.
 */

/** Bounds: entries (LIST_CACHE_ENTRIES) and bytes of bodies; one answer larger than an eighth of it is never kept. */
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

/** How the request asks: `no-cache` re-validates (we refresh the entry), `no-store` neither reads nor writes. */
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
        const headers = new Headers(entry.headers);
        headers.set("X-Cache", "hit");
        return new StringResponse(entry.body, { status: entry.status, headers });
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
      const headers = [...res.headers];
      const bytes = res.bodyText.length * 2 + 256;
      if (bytes <= this.maxBytes / 8) {
        const old = this.#entries.get(key);
        if (old) this.#remove(key, old);
        this.#entries.set(key, { generation, status: res.status, headers, body: res.bodyText, bytes });
        this.#bytes += bytes;
        this.#evict();
      }
    }
    res.headers.set("X-Cache", mode === "use" ? "miss" : "bypass");
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

/** The key of a list answer: everything it depends on besides the exports table. */
export function listCacheKey(actor: Actor, url: URL): string {
  return `${actor.id}\u0000${actor.isSuperuser ? "s" : "u"}\u0000${url.pathname}${url.search}`;
}

/** One memo per database handle (the web process has one; tests get a new one per harness). */
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
