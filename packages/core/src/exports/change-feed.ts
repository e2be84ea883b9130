import pg from "pg";
import type { Db } from "../db/client";

/** Migration 0004's trigger notifies the channel on every statement that changes the exports table. */
export const EXPORTS_CHANGED_CHANNEL = "exports_changed";
export const EXPORTS_CHANGED_TRIGGER = "exports_changed";

export interface ExportsChangeFeedOptions {
  connection: pg.ClientConfig;
  /** First reconnect delay, doubled on each failed attempt up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * A `select 1` on the idle connection this often, answered within the timeout: a connection that died
   * unnoticed by the socket (a cable, a frozen host) would otherwise look live while notifications are lost.
   */
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * Knows when the exports table may have changed, so that answers computed from it can be reused until then.
 * One connection LISTENs on `exports_changed`; `generation` grows on every notification, on `bump()` (this
 * process's own writes, seen before their notification arrives) and whenever the connection comes back
 * (notifications sent while it was down are lost). It reconnects with backoff; `live` is false meanwhile.
 *
 * The rule for a user: read `generation` BEFORE reading the table, and reuse the result only while
 * `live && generation === kept`: a write committed during the read has bumped it.
 */
export class ExportsChangeFeed {
  #generation = 0;
  #live = false;
  #closed = false;
  #client: pg.Client | null = null;
  #backendPid: number | null = null;
  #attempt = 0;
  #retry: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #waiters: (() => void)[] = [];
  readonly #listeners = new Set<() => void>();
  readonly #options: Required<Omit<ExportsChangeFeedOptions, "connection">> & { connection: pg.ClientConfig };

  constructor(options: ExportsChangeFeedOptions) {
    this.#options = {
      minBackoffMs: 100,
      maxBackoffMs: 5_000,
      heartbeatMs: 10_000,
      heartbeatTimeoutMs: 10_000,
      log: (line) => console.error(line),
      ...options,
    };
    void this.#connect();
  }

  get generation(): number {
    return this.#generation;
  }

  get live(): boolean {
    return this.#live;
  }

  /** The LISTEN connection's server process id while live (tests terminate it). */
  get backendPid(): number | null {
    return this.#live ? this.#backendPid : null;
  }

  /** This process changed the exports table (call after the write committed). */
  bump(): void {
    this.#changed();
  }

  /**
   * Calls `listener` whenever `generation` grows (a notification, a bump, the connection lost or back);
   * returns the function that removes it. The live dashboard's stream hub listens while it has streams.
   */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** How many onChange listeners are attached (tests check that closed streams leave none behind). */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  #changed() {
    this.#generation++;
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (err) {
        this.#options.log(`[exports-feed] a change listener failed: ${String(err)}`);
      }
    }
  }

  /** Resolves once the feed is live (or closed), or after `timeoutMs`; tells whether it is live. */
  async whenLive(timeoutMs = 5_000): Promise<boolean> {
    if (this.#live || this.#closed) return this.#live;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(done);
    });
    return this.#live;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#down();
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    this.#wake();
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  #wake() {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const { connection } = this.#options;
    const client = new pg.Client({
      ...connection,
      application_name: `${connection.application_name ?? "exports"}-listen`,
      keepAlive: true,
    });
    this.#client = client;
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.#client !== client) return;
      this.#client = null;
      this.#down();
      client.end().catch(() => undefined);
      if (this.#closed) return;
      // Logged once per outage.
      if (this.#attempt === 0)
        this.#options.log(`[exports-feed] no LISTEN connection (${err?.message ?? "ended"}); reconnecting`);
      this.#scheduleReconnect();
    };
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", (msg) => {
      if (msg.channel === EXPORTS_CHANGED_CHANNEL) this.#changed();
    });
    try {
      await client.connect();
      await client.query(`listen ${EXPORTS_CHANGED_CHANNEL}`);
      // Without the trigger (not migrated, or disabled) nothing is ever notified: such a feed must never be
      // live, or a cache would serve stale answers for ever.
      const trigger = await client.query(
        "select 1 from pg_trigger where tgrelid = to_regclass('exports') and tgname = $1 and tgenabled <> 'D'",
        [EXPORTS_CHANGED_TRIGGER],
      );
      if (trigger.rowCount === 0) throw new Error(`no enabled trigger ${EXPORTS_CHANGED_TRIGGER} on exports`);
      const pid = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
      if (lost || this.#closed || this.#client !== client) {
        await client.end().catch(() => undefined);
        return;
      }
      this.#backendPid = pid.rows[0]?.pid ?? null;
      this.#attempt = 0;
      // Whatever was notified while there was no connection is lost: everything read before is suspect.
      this.#live = true;
      this.#changed();
      this.#startHeartbeat(client, onLost);
      this.#wake();
    } catch (err) {
      onLost(err as Error);
    }
  }

  #down() {
    const wasLive = this.#live;
    this.#live = false;
    if (wasLive) this.#changed();
    this.#backendPid = null;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  #scheduleReconnect() {
    const { minBackoffMs, maxBackoffMs } = this.#options;
    const delay = Math.min(maxBackoffMs, minBackoffMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 20);
    // Jitter: web processes that lost the server together do not all come back in the same millisecond.
    this.#retry = setTimeout(
      () => {
        this.#retry = null;
        void this.#connect();
      },
      delay * (0.75 + Math.random() * 0.5),
    );
    this.#retry.unref();
  }

  #startHeartbeat(client: pg.Client, onLost: (err?: Error) => void) {
    const { heartbeatMs, heartbeatTimeoutMs } = this.#options;
    let pending = false;
    this.#heartbeat = setInterval(() => {
      if (pending) return;
      pending = true;
      const timeout = setTimeout(
        () => onLost(new Error(`no answer to a heartbeat within ${heartbeatTimeoutMs} ms`)),
        heartbeatTimeoutMs,
      );
      timeout.unref();
      client
        .query("select 1")
        .then(
          () => undefined,
          (err: Error) => onLost(err),
        )
        .finally(() => {
          clearTimeout(timeout);
          pending = false;
        });
    }, heartbeatMs);
    this.#heartbeat.unref();
  }
}

/** One feed per database handle, created on first use with the handle's own connection settings. */
const feeds = new WeakMap<Db, ExportsChangeFeed>();

/** `db`'s pool settings (drizzle's `$client`, typed loosely: programs see drizzle's pg types differently). */
function connectionOf(db: Db): pg.ClientConfig {
  const pool = (db as unknown as { $client?: { options?: pg.ClientConfig } }).$client;
  if (!pool?.options) throw new Error("exportsChangeFeed: the database handle has no pg pool");
  return { ...pool.options };
}

export function exportsChangeFeed(db: Db, options: Omit<ExportsChangeFeedOptions, "connection"> = {}) {
  let feed = feeds.get(db);
  if (!feed) {
    feed = new ExportsChangeFeed({ ...options, connection: connectionOf(db) });
    feeds.set(db, feed);
  }
  return feed;
}

/** This process's write through `db` committed: `db`'s feed, if running, reuses nothing read before. */
export function exportsChanged(db: Db): void {
  feeds.get(db)?.bump();
}

/** Stops `db`'s feed, if any (before its pool closes). */
export async function closeExportsChangeFeed(db: Db): Promise<void> {
  const feed = feeds.get(db);
  feeds.delete(db);
  await feed?.close();
}
