import {
  type Actor,
  asDomainError,
  canSeeExport,
  type ExportChange,
  type ExportDto,
  exportChangeHub,
  exportsChangedSince,
  tooManyRequests,
} from "@exports/core";
import { tracked } from "@trpc/server";
import { LIVE_STREAMS_PER_USER } from "../../trpc/limits";
import { type TRPCContext, toTRPCError } from "./init";

/** What the dashboard's live stream sends: an export as retrieve returns it, or "reload your lists". */
export type LiveEvent = { kind: "export"; export: ExportDto; isNew: boolean } | { kind: "resync" };

/** How often an open stream checks that its session (or token) still stands; a signed-out one ends. */
export const LIVE_RECHECK_MS = 5_000;

/** Event ids: `<ms when read>-<export id>`; a reconnecting client sends the last as `lastEventId`. */
const eventId = (observedAt: number, what: string) => `${observedAt}-${what}`;

export function resumePointOf(lastEventId: string | null | undefined): number | null {
  const m = /^(\d{1,15})-/.exec(lastEventId ?? "");
  return m ? Number(m[1]) : null;
}

/**
 * The procedure's middleware maps domain errors to tRPC codes for its own answer only: an error raised while
 * the stream runs reaches the client as is, so it is mapped here (else a 401 would arrive as a 500).
 */
function asTRPCError(err: unknown): unknown {
  const domain = asDomainError(err);
  return domain ? toTRPCError(domain) : err;
}

/** Open streams per user id in this process. */
const openStreams = new Map<string, number>();

export function openStreamCount(userId?: string): number {
  if (userId !== undefined) return openStreams.get(userId) ?? 0;
  let n = 0;
  for (const count of openStreams.values()) n += count;
  return n;
}

function takeSlot(userId: string): () => void {
  const n = openStreams.get(userId) ?? 0;
  if (n >= LIVE_STREAMS_PER_USER)
    throw tooManyRequests(
      `At most ${LIVE_STREAMS_PER_USER} live streams per user are open at once; this page polls instead.`,
      30,
    );
  openStreams.set(userId, n + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (openStreams.get(userId) ?? 1) - 1;
    if (left <= 0) openStreams.delete(userId);
    else openStreams.set(userId, left);
  };
}

type Item = { changes: ExportChange[] } | { resync: true } | { end: true } | { error: unknown };

/** Batches of changes a stream may hold for a client that does not read; beyond, it is told to reload. */
const INBOX_LIMIT = 256;

/** A queue the generator awaits: filled by the hub, the re-check timer and the abort signal. */
class Inbox {
  #items: Item[] = [];
  #wake: (() => void) | null = null;

  push(item: Item) {
    // A client that reads nothing (a stalled connection) costs a bounded amount of memory.
    if ("changes" in item && this.#items.length >= INBOX_LIMIT)
      this.#items = [...this.#items.filter((i) => !("changes" in i) && !("resync" in i)), { resync: true }];
    else this.#items.push(item);
    this.#wake?.();
    this.#wake = null;
  }

  async next(): Promise<Item> {
    for (;;) {
      const item = this.#items.shift();
      if (item) return item;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}

/**
 * The live stream of one connection: every change of an export the caller may see (canSeeExport, with the
 * caller as last re-checked), after a replay of what it missed when it resumes from `lastEventId`. Ends when
 * the client goes away (`signal`), the session ends (re-checked every LIVE_RECHECK_MS: UNAUTHORIZED) or the
 * server stops.
 */
export async function* exportChanges(
  ctx: TRPCContext,
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
) {
  let actor: Actor = (await ctx.authenticate().catch((err: unknown) => Promise.reject(asTRPCError(err))))
    .actor;
  let release: () => void;
  try {
    release = takeSlot(actor.id);
  } catch (err) {
    throw asTRPCError(err);
  }
  const inbox = new Inbox();
  const onAbort = () => inbox.push({ end: true });
  signal?.addEventListener("abort", onAbort, { once: true });
  // Subscribed before the replay is read: a change meanwhile arrives twice at worst, never not at all.
  const unsubscribe = exportChangeHub(ctx.db).subscribe({
    onChanges: (changes) => inbox.push({ changes }),
    onEnd: () => inbox.push({ end: true }),
  });
  let rechecking = false;
  const recheck = setInterval(() => {
    if (rechecking || !ctx.reauthenticate) return;
    rechecking = true;
    ctx
      .reauthenticate()
      .then(
        (fresh) => {
          actor = fresh;
        },
        (error: unknown) => inbox.push({ error }),
      )
      .finally(() => {
        rechecking = false;
      });
  }, LIVE_RECHECK_MS);
  try {
    if (signal?.aborted) return;
    const since = resumePointOf(lastEventId);
    if (since !== null) {
      const readAt = Date.now();
      const missed = await exportsChangedSince(ctx.db, actor, since);
      if (!missed.complete) yield tracked(eventId(readAt, "resync"), { kind: "resync" } as LiveEvent);
      else
        for (const e of missed.exports)
          yield tracked(eventId(readAt, e.id), { kind: "export", export: e, isNew: false } as LiveEvent);
    }
    for (;;) {
      const item = await inbox.next();
      if ("end" in item) return;
      if ("error" in item) throw asTRPCError(item.error);
      if ("resync" in item) {
        yield tracked(eventId(Date.now(), "resync"), { kind: "resync" } as LiveEvent);
        continue;
      }
      for (const change of item.changes) {
        if (!canSeeExport(actor, change.export)) continue;
        const event: LiveEvent = { kind: "export", export: change.export, isNew: change.isNew };
        yield tracked(eventId(change.observedAt, change.export.id), event);
      }
    }
  } finally {
    clearInterval(recheck);
    signal?.removeEventListener("abort", onAbort);
    unsubscribe();
    release();
  }
}
