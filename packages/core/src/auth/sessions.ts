import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, gt, lte, sql } from "drizzle-orm";
import { z } from "zod";
import { messages } from "../contract/messages";
import type { Db } from "../db/client";
import { sessions, users } from "../db/schema";
import { type Env, env } from "../env";
import { DomainError, unauthenticated } from "../errors";
import { parseInput } from "../validation";
import type { Actor } from "./actor";
import { reserveSignInAttempt, settleSuccessfulSignIn, type ThrottleConfig } from "./throttle";
import { verifyCredentials } from "./users";

/**
 * Dashboard sessions: a username and password buy a random secret (the cookie) and a CSRF token.
 * - Only the secret's SHA-256 is stored: it has 256 random bits, so a slow hash would buy nothing.
 * - Every sign-in creates a new session and deletes the one presented (a planted secret is never promoted).
 * - Expiry slides with use (written at most once per resolution step), never past the maximum age; expired
 *   sessions are deleted when presented and swept at each sign-in.
 * - All times are the database's `now()`: the web processes' clocks do not matter.
 */
export interface SessionConfig extends ThrottleConfig {
  /** Seconds a session lasts without use. */
  ttlSeconds: number;
  /** Seconds after sign-in when a session ends, however active. */
  maxAgeSeconds: number;
}

export function sessionConfigFromEnv(e: Env = env()): SessionConfig {
  return {
    ttlSeconds: Math.round(e.SESSION_TTL_HOURS * 3600),
    maxAgeSeconds: Math.round(e.SESSION_MAX_AGE_HOURS * 3600),
    maxFailuresPerUser: e.LOGIN_MAX_FAILURES_PER_USER,
    maxFailuresPerAddress: e.LOGIN_MAX_FAILURES_PER_ADDRESS,
    windowSeconds: e.LOGIN_THROTTLE_WINDOW_SECONDS,
  };
}

const SECRET_BYTES = 32;
/** base64url of 32 bytes. Anything else was never issued and needs no database lookup. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const INVALID_CREDENTIALS = "Invalid username or password.";
export const SESSION_EXPIRED = "Your session has expired. Please sign in again.";

const credential = (max: number) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? messages.required : messages.string) })
    .min(1, "This field may not be blank.")
    .max(max, messages.maxLength(max))
    .refine((v) => !v.includes("\u0000"), messages.nullCharacters);

/** Input of tRPC `auth.signIn`: shape only, so an impossible username is just wrong credentials. */
export const signInInput = z.object({ username: credential(150), password: credential(1024) });
export type SignInInput = z.input<typeof signInInput>;

export interface SignInRequest extends SignInInput {
  /** The client's address (throttling per address; recorded on the session); null when unknown. */
  ip?: string | null;
  userAgent?: string | null;
  /** The session secret the client presented when signing in: revoked (rotation). */
  previousSecret?: string | null;
}

export interface SignInResult {
  /** For the cookie; only its hash is stored. */
  secret: string;
  csrfToken: string;
  actor: Actor;
  /** When the session ends unless used again (sliding). */
  expiresAt: Date;
  /** When the session ends at the latest (the cookie's own expiry). */
  maxExpiresAt: Date;
}

export interface Session {
  /** The secret's SHA-256 (hex). */
  id: string;
  actor: Actor;
  csrfToken: string;
  expiresAt: Date;
}

export function hashSessionSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function isSessionSecret(value: string | null | undefined): value is string {
  return typeof value === "string" && SECRET_PATTERN.test(value);
}

const seconds = (n: number) => sql`(${n}::int * interval '1 second')`;

/**
 * Username + password → a new session. Any wrong credentials answer the same UNAUTHENTICATED after the
 * same hashing work (nothing tells which usernames exist); too many failures: TOO_MANY_REQUESTS.
 */
export async function signIn(
  db: Db,
  request: SignInRequest,
  config: SessionConfig = sessionConfigFromEnv(),
): Promise<SignInResult> {
  const { username, password } = parseInput(signInInput, {
    username: request.username,
    password: request.password,
  });
  const keys = { username, ip: request.ip ?? null };
  await reserveSignInAttempt(db, keys, config);
  const actor = await verifyCredentials(db, username, password);
  if (!actor) throw unauthenticated(INVALID_CREDENTIALS);
  await settleSuccessfulSignIn(db, keys);

  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  const csrfToken = randomBytes(SECRET_BYTES).toString("base64url");
  const inserted = await db.transaction(async (tx) => {
    await tx.delete(sessions).where(lte(sessions.expiresAt, sql`now()`));
    if (isSessionSecret(request.previousSecret)) {
      await tx.delete(sessions).where(eq(sessions.id, hashSessionSecret(request.previousSecret)));
    }
    return tx
      .insert(sessions)
      .values({
        id: hashSessionSecret(secret),
        userId: actor.id,
        csrfToken,
        expiresAt: sql`now() + least(${seconds(config.ttlSeconds)}, ${seconds(config.maxAgeSeconds)})`,
        ip: request.ip?.slice(0, 64) || null,
        userAgent: request.userAgent?.slice(0, 512) || null,
      })
      .returning({ expiresAt: sessions.expiresAt, createdDate: sessions.createdDate });
  });
  const row = inserted[0];
  if (!row) throw new Error("session insert returned no row");
  return {
    secret,
    csrfToken,
    actor,
    expiresAt: row.expiresAt,
    maxExpiresAt: new Date(row.createdDate.getTime() + config.maxAgeSeconds * 1000),
  };
}

/** The session behind a cookie's secret, its expiry moved forward; else UNAUTHENTICATED (SESSION_EXPIRED). */
export async function authenticateSession(
  db: Db,
  secret: string | null | undefined,
  config: SessionConfig = sessionConfigFromEnv(),
): Promise<Session> {
  if (!isSessionSecret(secret)) throw unauthenticated(SESSION_EXPIRED);
  const id = hashSessionSecret(secret);
  // The expiry is written at most once a minute (or a tenth of the TTL, if that is shorter).
  const resolution = Math.min(60, config.ttlSeconds / 10);
  const rows = await db
    .select({
      userId: users.id,
      username: users.username,
      isSuperuser: users.isSuperuser,
      csrfToken: sessions.csrfToken,
      expiresAt: sessions.expiresAt,
      expired: sql<boolean>`${sessions.expiresAt} <= now()`,
      stale: sql<boolean>`${sessions.lastSeenAt} <= now() - ${resolution}::float8 * interval '1 second'`,
    })
    .from(sessions)
    // A deactivated user's sessions end.
    .innerJoin(users, and(eq(users.id, sessions.userId), eq(users.isActive, true)))
    .where(eq(sessions.id, id))
    .limit(1);
  const row = rows[0];
  if (!row) throw unauthenticated(SESSION_EXPIRED);
  if (row.expired) {
    await db.delete(sessions).where(eq(sessions.id, id));
    throw unauthenticated(SESSION_EXPIRED);
  }
  let expiresAt = row.expiresAt;
  if (row.stale) {
    const updated = await db
      .update(sessions)
      .set({
        lastSeenAt: sql`now()`,
        expiresAt: sql`least(now() + ${seconds(config.ttlSeconds)}, ${sessions.createdDate} + ${seconds(config.maxAgeSeconds)})`,
      })
      .where(sql`${sessions.id} = ${id} and ${sessions.expiresAt} > now()`)
      .returning({ expiresAt: sessions.expiresAt });
    // Signed out or expired in the meantime.
    if (!updated[0]) throw unauthenticated(SESSION_EXPIRED);
    expiresAt = updated[0].expiresAt;
  }
  return {
    id,
    actor: { id: row.userId, username: row.username, isSuperuser: row.isSuperuser },
    csrfToken: row.csrfToken,
    expiresAt,
  };
}

/**
 * The actor of a session that is still valid, read only: its expiry is not moved (a live dashboard stream
 * re-checks its session with it, and an open tab must not keep a session alive for ever); else
 * UNAUTHENTICATED (SESSION_EXPIRED).
 */
export async function checkSession(db: Db, secret: string | null | undefined): Promise<Actor> {
  if (!isSessionSecret(secret)) throw unauthenticated(SESSION_EXPIRED);
  const rows = await db
    .select({ id: users.id, username: users.username, isSuperuser: users.isSuperuser })
    .from(sessions)
    // As authenticateSession: a deactivated user's session ends (an open live stream included).
    .innerJoin(users, and(eq(users.id, sessions.userId), eq(users.isActive, true)))
    .where(and(eq(sessions.id, hashSessionSecret(secret)), gt(sessions.expiresAt, sql`now()`)))
    .limit(1);
  const row = rows[0];
  if (!row) throw unauthenticated(SESSION_EXPIRED);
  return row;
}

/** Ends the session behind a secret (sign-out). True when there was one. */
export async function signOut(db: Db, secret: string | null | undefined): Promise<boolean> {
  if (!isSessionSecret(secret)) return false;
  const deleted = await db
    .delete(sessions)
    .where(eq(sessions.id, hashSessionSecret(secret)))
    .returning({ id: sessions.id });
  return deleted.length > 0;
}

/** Whether a CSRF header is the session's token: both hashed first, so timing-safe whatever the lengths. */
export function csrfTokenMatches(expected: string, presented: string | null | undefined): boolean {
  if (!expected || typeof presented !== "string" || presented === "") return false;
  const a = createHash("sha256").update(expected, "utf8").digest();
  const b = createHash("sha256").update(presented, "utf8").digest();
  return timingSafeEqual(a, b);
}

export const CSRF_INVALID = "CSRF token missing or invalid.";

export function assertCsrfToken(expected: string, presented: string | null | undefined): void {
  if (!csrfTokenMatches(expected, presented)) throw new DomainError("FORBIDDEN", CSRF_INVALID);
}
