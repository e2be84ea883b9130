import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "../db/client";
import { passwordLinks, sessions, users } from "../db/schema";
import { DomainError } from "../errors";
import { parseInput } from "../validation";
import { recordAccountEvent } from "./account-events";
import { hashPassword } from "./passwords";
import { sessionConfigFromEnv } from "./sessions";
import { reserveSignInAttempt, settleSuccessfulSignIn, type ThrottleConfig } from "./throttle";
import { passwordSchema } from "./users";

/**
 * One-time set-password links: `/set-password?token=<secret>`, issued by a superuser (users-admin.ts) when a
 * user is created without a password or their password is reset.
 * - The secret has 256 random bits; only its SHA-256 is stored, and a presented secret is found by looking
 *   its hash up (an index lookup on the hash, never a comparison of the secret itself, so its timing says
 *   nothing about a stored secret).
 * - A link works once (deleted in the transaction that sets the password), until it expires; issuing a new
 *   one for the same user replaces the old; deactivating the user deletes it.
 * - Attempts are throttled as sign-in is (auth/throttle.ts): per client address, sharing sign-in's counts.
 */
export const PASSWORD_LINK_TTL_HOURS = 72;

const SECRET_BYTES = 32;
/** base64url of 32 bytes: anything else was never issued and needs no lookup. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const LINK_INVALID =
  "This link is invalid, was already used or has expired. Ask an administrator for a new one.";

export interface PasswordLink {
  /** The secret, shown once to whoever issued the link; only its hash is stored. */
  token: string;
  /** The dashboard page to open: `/set-password?token=…` (the door prefixes its origin). */
  path: string;
  expiresAt: Date;
}

const hashOf = (secret: string) => createHash("sha256").update(secret, "utf8").digest("hex");

export function setPasswordPath(token: string): string {
  return `/set-password?token=${encodeURIComponent(token)}`;
}

/** A new link for `userId`, replacing any earlier one. Call it in the transaction that resets the password. */
export async function issuePasswordLink(
  tx: Executor,
  userId: string,
  createdBy: string | null,
  ttlHours = PASSWORD_LINK_TTL_HOURS,
): Promise<PasswordLink> {
  const token = randomBytes(SECRET_BYTES).toString("base64url");
  await tx.delete(passwordLinks).where(eq(passwordLinks.userId, userId));
  const [row] = await tx
    .insert(passwordLinks)
    .values({
      tokenHash: hashOf(token),
      userId,
      createdBy,
      expiresAt: sql`now() + ${ttlHours}::float8 * interval '1 hour'`,
    })
    .returning({ expiresAt: passwordLinks.expiresAt });
  if (!row) throw new Error("password link insert returned no row");
  return { token, path: setPasswordPath(token), expiresAt: row.expiresAt };
}

export const setPasswordInput = z.object({
  token: z.string().max(200),
  password: passwordSchema,
});

export interface LinkRequest {
  token: string;
  /** The client's address, for throttling (as sign-in's). */
  ip?: string | null;
}

const invalidLink = () => new DomainError("NOT_FOUND", LINK_INVALID);

/** Counts the attempt (as a sign-in attempt: per address, and per link), then runs `check`; a success gives it back. */
async function throttled<T>(
  db: Db,
  request: LinkRequest,
  config: ThrottleConfig,
  check: () => Promise<T>,
): Promise<T> {
  // The per-"username" count is the link's own (its hash's prefix): the address count is what limits guessing.
  const keys = { username: `set-password:${hashOf(request.token).slice(0, 16)}`, ip: request.ip ?? null };
  await reserveSignInAttempt(db, keys, config);
  const result = await check();
  await settleSuccessfulSignIn(db, keys);
  return result;
}

const liveLink = (tokenHash: string) =>
  and(eq(passwordLinks.tokenHash, tokenHash), gt(passwordLinks.expiresAt, sql`now()`));

/** Whose link this is (the page shows the username), or NOT_FOUND LINK_INVALID. Throttled. */
export async function checkPasswordLink(
  db: Db,
  request: LinkRequest,
  config: ThrottleConfig = sessionConfigFromEnv(),
): Promise<{ username: string; expires_at: string }> {
  if (!SECRET_PATTERN.test(request.token)) throw invalidLink();
  return throttled(db, request, config, async () => {
    const [row] = await db
      .select({ username: users.username, expiresAt: passwordLinks.expiresAt })
      .from(passwordLinks)
      .innerJoin(users, and(eq(users.id, passwordLinks.userId), eq(users.isActive, true)))
      .where(liveLink(hashOf(request.token)))
      .limit(1);
    if (!row) throw invalidLink();
    return { username: row.username, expires_at: row.expiresAt.toISOString() };
  });
}

/**
 * Sets the password of the link's user, once: the link is deleted, the user's sessions end (the next sign-in
 * uses the new password), and `user.password_changed` is recorded with the user as the actor, all in one
 * transaction. Throttled; an unknown, used or expired link is NOT_FOUND LINK_INVALID.
 */
export async function setPasswordWithLink(
  db: Db,
  request: LinkRequest & { password: string },
  config: ThrottleConfig = sessionConfigFromEnv(),
): Promise<{ username: string }> {
  const { token, password } = parseInput(setPasswordInput, {
    token: request.token,
    password: request.password,
  });
  if (!SECRET_PATTERN.test(token)) throw invalidLink();
  return throttled(db, request, config, async () => {
    const passwordHash = await hashPassword(password);
    return db.transaction(async (tx) => {
      // Deleting the link is what claims it: of two concurrent uses, only one gets the row back.
      const [link] = await tx
        .delete(passwordLinks)
        .where(liveLink(hashOf(token)))
        .returning({ userId: passwordLinks.userId });
      if (!link) throw invalidLink();
      const [user] = await tx
        .update(users)
        .set({ passwordHash })
        .where(and(eq(users.id, link.userId), eq(users.isActive, true)))
        .returning({ id: users.id, username: users.username });
      if (!user) throw invalidLink();
      await tx.delete(sessions).where(eq(sessions.userId, user.id));
      await recordAccountEvent(tx, {
        type: "user.password_changed",
        actorId: user.id,
        userId: user.id,
        detail: { via: "set_password_link" },
      });
      return { username: user.username };
    });
  });
}
