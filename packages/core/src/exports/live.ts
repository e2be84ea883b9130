import { and, desc, eq, gte, inArray, or } from "drizzle-orm";
import type { Actor } from "../auth/actor";
import { ACTIVE_STATUSES, type ExportDto, isActive } from "../contract";
import type { Db } from "../db/client";
import { exports } from "../db/schema";
import { exportsChangeFeed } from "./change-feed";
import { exportRecordColumns, toExportDto } from "./serialize";

/**
 * The dashboard's live updates (issue 16): which exports changed, read once per change for every open stream
 * of this process, and who may see each. The change feed's notifications carry no payload (migration 0004),
 * so the hub re-reads the exports that can have changed: the unfinished ones, the ones it already knows and the
 * recently created ones (all three indexed), and compares each with what it last saw.
 */

/** SPEC §2.8, for one record: a superuser sees every export, anyone else only their own. */
export function canSeeExport(actor: Actor, record: Pick<ExportDto, "requested_by">): boolean {
  return actor.isSuperuser || record.requested_by === actor.id;
}

export interface ExportChange {
  /** The export exactly as retrieve returns it. */
  export: ExportDto;
  /** Not seen by the hub before (created since): lists may need to show it. */
  isNew: boolean;
  /** When it was read (this process's clock, ms): where a reconnecting stream resumes. */
  observedAt: number;
}

export interface HubSubscriber {
  onChanges(changes: ExportChange[]): void;
  /** The hub closed (shutdown): the stream ends. */
  onEnd(): void;
}

/** What the hub needs of ExportsChangeFeed. */
export interface ChangeSource {
  readonly live: boolean;
  onChange(listener: () => void): () => void;
}

export interface ExportChangeHubOptions {
  /** Changes within this window are read together (a burst of notifications costs one query). */
  coalesceMs?: number;
  /** While the feed is down (no LISTEN connection), the hub reads this often instead. */
  fallbackPollMs?: number;
  /**
   * A row created this long before the previous read is still read again: covers a transaction that commits
   * after the read although its created_date is older, and clocks of writers that differ a little.
   */
  marginMs?: number;
  log?: (line: string) => void;
}

export class ExportChangeHub {
  readonly #subscribers = new Set<HubSubscriber>();
  /** id → the record's JSON as last seen. */
  #seen = new Map<string, string>();
  #lastReadAt = 0;
  #primed = false;
  #epoch = 0;
  #reading = false;
  #dirty = false;
  #scheduled: NodeJS.Timeout | null = null;
  #fallback: NodeJS.Timeout | null = null;
  #detach: (() => void) | null = null;
  #failing = false;
  readonly #options: Required<ExportChangeHubOptions>;

  constructor(
    readonly db: Db,
    readonly source: ChangeSource,
    options: ExportChangeHubOptions = {},
  ) {
    this.#options = {
      coalesceMs: 25,
      fallbackPollMs: 1_000,
      marginMs: 15_000,
      log: (line) => console.error(line),
      ...options,
    };
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Its first read is done: changes from now on are told (tests wait for it before changing anything). */
  get primed(): boolean {
    return this.#primed;
  }

  /** Starts reading on the first subscriber, stops (and forgets) after the last; returns the unsubscribe. */
  subscribe(subscriber: HubSubscriber): () => void {
    this.#subscribers.add(subscriber);
    if (this.#subscribers.size === 1) this.#start();
    return () => {
      if (!this.#subscribers.delete(subscriber)) return;
      if (this.#subscribers.size === 0) this.#stop();
    };
  }

  /** Ends every subscription (the process stops). */
  close(): void {
    const subscribers = [...this.#subscribers];
    this.#subscribers.clear();
    this.#stop();
    for (const s of subscribers) s.onEnd();
  }

  #start() {
    this.#epoch++;
    this.#primed = false;
    this.#lastReadAt = Date.now();
    this.#detach = this.source.onChange(() => this.#schedule());
    this.#fallback = setInterval(() => {
      if (!this.source.live) this.#schedule();
    }, this.#options.fallbackPollMs);
    this.#fallback.unref();
    this.#schedule();
  }

  #stop() {
    this.#epoch++;
    this.#detach?.();
    this.#detach = null;
    if (this.#fallback) clearInterval(this.#fallback);
    if (this.#scheduled) clearTimeout(this.#scheduled);
    this.#fallback = null;
    this.#scheduled = null;
    this.#seen = new Map();
  }

  #schedule() {
    if (this.#reading) {
      this.#dirty = true;
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = setTimeout(() => {
      this.#scheduled = null;
      void this.#read();
    }, this.#options.coalesceMs);
  }

  async #read(): Promise<void> {
    const epoch = this.#epoch;
    this.#reading = true;
    try {
      do {
        this.#dirty = false;
        await this.#readOnce(epoch);
      } while (this.#dirty && epoch === this.#epoch);
    } catch (err) {
      // Logged once per outage; the next notification (or the fallback tick) tries again.
      if (!this.#failing) this.#options.log(`[exports-live] reading changes failed: ${String(err)}`);
      this.#failing = true;
    } finally {
      this.#reading = false;
      // A change that arrived after a failed read, or during the last one of another epoch.
      if (this.#dirty && this.#subscribers.size > 0) {
        this.#dirty = false;
        this.#schedule();
      }
    }
  }

  async #readOnce(epoch: number) {
    const startedAt = Date.now();
    const since = new Date(this.#lastReadAt - this.#options.marginMs);
    const known = [...this.#seen.keys()];
    const rows = await this.db
      .select(exportRecordColumns)
      .from(exports)
      .where(
        or(
          inArray(exports.status, ACTIVE_STATUSES),
          gte(exports.createdDate, since),
          known.length > 0 ? inArray(exports.id, known) : undefined,
        ),
      );
    if (epoch !== this.#epoch) return;
    this.#failing = false;
    const changes: ExportChange[] = [];
    const seen = new Map<string, string>();
    for (const row of rows) {
      const dto = toExportDto(row);
      const json = JSON.stringify(dto);
      const before = this.#seen.get(dto.id);
      if (this.#primed && before !== json)
        changes.push({ export: dto, isNew: before === undefined, observedAt: startedAt });
      // Forgotten once finished and old: it cannot change visibly any more, but by a retry (issue 17), which
      // makes it unfinished again: it is then read again, and pushed as one not seen before.
      if (isActive(dto.status) || Date.parse(dto.created_date) >= since.getTime()) seen.set(dto.id, json);
    }
    this.#seen = seen;
    this.#lastReadAt = startedAt;
    this.#primed = true;
    if (changes.length === 0) return;
    for (const s of [...this.#subscribers]) {
      try {
        s.onChanges(changes);
      } catch (err) {
        this.#options.log(`[exports-live] a subscriber failed: ${String(err)}`);
      }
    }
  }
}

/** One hub per database handle, over that handle's change feed. */
const hubs = new WeakMap<Db, ExportChangeHub>();

export function exportChangeHub(db: Db, options: ExportChangeHubOptions = {}): ExportChangeHub {
  let hub = hubs.get(db);
  if (!hub) {
    hub = new ExportChangeHub(db, exportsChangeFeed(db), options);
    hubs.set(db, hub);
  }
  return hub;
}

/** Ends `db`'s hub's subscriptions, if any (shutdown, before the feed and the pool close). */
export function closeExportChangeHub(db: Db): void {
  const hub = hubs.get(db);
  hubs.delete(db);
  hub?.close();
}

/** At most this many exports are replayed to a reconnecting stream; beyond, it is told to reload. */
export const CATCH_UP_LIMIT = 200;

/**
 * What a stream that reconnects missed since `sinceMs`: the actor's exports modified since (less a margin for
 * commits and clocks) and the unfinished ones, newest changes first; `complete` is false when there were more
 * than `limit` (the client then reloads its lists instead).
 */
export async function exportsChangedSince(
  db: Db,
  actor: Actor,
  sinceMs: number,
  { limit = CATCH_UP_LIMIT, marginMs = 15_000 } = {},
): Promise<{ exports: ExportDto[]; complete: boolean }> {
  const since = new Date(sinceMs - marginMs);
  const rows = await db
    .select(exportRecordColumns)
    .from(exports)
    .where(
      and(
        actor.isSuperuser ? undefined : eq(exports.requestedBy, actor.id),
        or(gte(exports.modifiedDate, since), inArray(exports.status, ACTIVE_STATUSES)),
      ),
    )
    .orderBy(desc(exports.modifiedDate))
    .limit(limit + 1);
  return { exports: rows.slice(0, limit).map(toExportDto), complete: rows.length <= limit };
}
