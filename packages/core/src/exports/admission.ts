import { createHash } from "node:crypto";
import { and, count, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { Actor } from "../auth/actor";
import { ACTIVE_STATUSES, type EffectiveExportOptions, isDefaultOptions } from "../contract";
import type { Tx } from "../db/client";
import { type ExportRow, exports } from "../db/schema";
import { conflict, DomainError, tooManyRequests } from "../errors";

/** A new export, the first one of its Idempotency-Key, or an identical one in flight. */
export type CreateOutcome = "created" | "replayed" | "in_flight";

export const IDEMPOTENCY_KEY_MAX = 255;
const LOCK_NAMESPACE = 7_349_113;
/** How long a client over the limit is told to wait: about one export's pages. */
const RETRY_AFTER_SECONDS = 30;

/** Only a superuser may cancel: a regular user is told to wait, not pointed at what they cannot do. */
function activeLimitMessage(actor: Actor, active: number): string {
  const what = `You have ${active} unfinished exports, the most one user may have at once.`;
  const todo = actor.isSuperuser
    ? "Wait until one of them finishes, or cancel one"
    : "Wait until one of them finishes";
  return `${what} ${todo}; try again in ${RETRY_AFTER_SECONDS} seconds.`;
}

export function checkIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX || !/^[\x21-\x7e]+$/.test(key)) {
    throw new DomainError(
      "INVALID",
      `The Idempotency-Key header must be 1 to ${IDEMPOTENCY_KEY_MAX} visible ASCII characters.`,
    );
  }
  return key;
}

/** The request as its user made it (what it exports, how, under which name): same fingerprint, same export. */
export function requestFingerprint(parts: {
  actionName: string;
  requestPath: string;
  requestFields: readonly string[];
  formatType: string;
  language: string;
  filterFile?: Uint8Array;
  /** Issue 17: part of the request only when not the defaults (earlier fingerprints stay the same). */
  options?: EffectiveExportOptions;
}): string {
  const file = parts.filterFile ? createHash("sha256").update(parts.filterFile).digest("hex") : null;
  const request = [
    parts.actionName,
    parts.requestPath,
    parts.requestFields,
    parts.formatType,
    parts.language,
    file,
  ];
  if (!isDefaultOptions(parts.options)) request.push(JSON.stringify(parts.options));
  return createHash("sha256").update(JSON.stringify(request)).digest("hex");
}

export interface AdmissionRequest {
  fingerprint: string;
  idempotencyKey?: string;
  maxActive: number;
  /** The create stores a filter file: it counts against maxFilterFiles. */
  withFilterFile: boolean;
  maxFilterFiles: number;
}

/**
 * Abuse limits on creating exports (issue 6 §9), inside the create's transaction; an advisory lock per user
 * serialises a user's creates, so two cannot both slip under a limit. Returns the export to answer with
 * instead (a repeat of an Idempotency-Key, whose different request is a 409; an identical export in flight),
 * or null when a new one may be created. At most `maxActive` unfinished exports, and with a filter file at
 * most `maxFilterFiles` stored ones (exports not yet expired, finished or not: an export whose file matches
 * nothing finishes at once, yet its file stays), else 429 with Retry-After.
 */
export async function admit(
  tx: Tx,
  actor: Actor,
  request: AdmissionRequest,
): Promise<{ row: ExportRow; outcome: Exclude<CreateOutcome, "created"> } | null> {
  await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${actor.id}))`);
  if (request.idempotencyKey) {
    const [previous] = await tx
      .select()
      .from(exports)
      .where(and(eq(exports.requestedBy, actor.id), eq(exports.idempotencyKey, request.idempotencyKey)))
      .limit(1);
    if (previous) {
      if (previous.requestFingerprint !== request.fingerprint) {
        throw conflict("This Idempotency-Key was already used with a different request.");
      }
      return { row: previous, outcome: "replayed" };
    }
  }
  const mine = and(eq(exports.requestedBy, actor.id), inArray(exports.status, ACTIVE_STATUSES));
  const [same] = await tx
    .select()
    .from(exports)
    .where(and(mine, eq(exports.requestFingerprint, request.fingerprint)))
    .limit(1);
  if (same) return { row: same, outcome: "in_flight" };
  const [active] = await tx.select({ n: count() }).from(exports).where(mine);
  if ((active?.n ?? 0) >= request.maxActive) {
    throw tooManyRequests(activeLimitMessage(actor, active?.n ?? 0), RETRY_AFTER_SECONDS);
  }
  if (request.withFilterFile) {
    const stored = and(
      eq(exports.requestedBy, actor.id),
      isNotNull(exports.filterFile),
      isNull(exports.purgedAt),
    );
    const [files] = await tx
      .select({
        n: count(),
        // When the first of them expires and its file is deleted (the sweep runs soon after).
        wait: sql<number | null>`ceil(extract(epoch from min(${exports.expiresAt}) - now()))::int`,
      })
      .from(exports)
      .where(stored);
    if ((files?.n ?? 0) >= request.maxFilterFiles) {
      throw tooManyRequests(
        `You already have ${files?.n} stored filter files (the limit is ${request.maxFilterFiles}). ` +
          "Each is deleted when its export expires; try again then, or export without a filter file.",
        Math.max(RETRY_AFTER_SECONDS, files?.wait ?? RETRY_AFTER_SECONDS),
      );
    }
  }
  return null;
}

/**
 * A retry (exports/retry.ts) makes a finished export unfinished again: it is held to the owner's
 * `maxActive` like a create, under the same per-user lock (429 past it).
 */
export async function admitRetry(tx: Tx, actor: Actor, ownerId: string, maxActive: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${ownerId}))`);
  const [active] = await tx
    .select({ n: count() })
    .from(exports)
    .where(and(eq(exports.requestedBy, ownerId), inArray(exports.status, ACTIVE_STATUSES)));
  const n = active?.n ?? 0;
  if (n >= maxActive) {
    const message =
      actor.id === ownerId
        ? activeLimitMessage(actor, n)
        : `The export's owner has ${n} unfinished exports, the most one user may have at once. Wait until one of them finishes, or cancel one; try again in ${RETRY_AFTER_SECONDS} seconds.`;
    throw tooManyRequests(message, RETRY_AFTER_SECONDS);
  }
}
