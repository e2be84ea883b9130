import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { loginThrottle } from "../db/schema";
import { tooManyRequests } from "../errors";

/**
 * Sign-in attempts are counted per username (guessing one account from many addresses) AND per client address
 * (one client spraying many accounts), in a fixed window from the first; past a limit, 429 until the window
 * ends, without looking at the password.
 *
 * An attempt is counted BEFORE the password is checked, in one atomic upsert, so concurrent attempts cannot
 * all pass the check. A success gives its attempt back: the username's count is reset, the address's lowered
 * by one (an office behind one address is not locked out by its colleagues' successes).
 *
 * The window does not slide: hammering a locked account does not extend its lock, so an attacker can keep
 * someone locked out for one window at a time (the price of a per-username limit: minutes, not for ever).
 */
export interface ThrottleConfig {
  maxFailuresPerUser: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
}

export interface AttemptKeys {
  username: string;
  /** The client address as the door sees it; null when unknown (then only the username is counted). */
  ip?: string | null;
}

/** Usernames are compared case-insensitively here, so `Alice` and `alice` share one count. */
function usernameKey(username: string): string {
  return username.normalize("NFKC").toLowerCase().slice(0, 200);
}

function addressKey(ip: string | null | undefined): string | null {
  const key = ip?.trim().toLowerCase().slice(0, 64);
  return key ? key : null;
}

/** "Too many failed sign-ins. Try again in 42 seconds." (minutes from two minutes on). */
export function tooManySignInsMessage(retryAfterSeconds: number): string {
  const s = Math.max(1, Math.ceil(retryAfterSeconds));
  if (s < 120) return `Too many failed sign-ins. Try again in ${s} second${s === 1 ? "" : "s"}.`;
  return `Too many failed sign-ins. Try again in ${Math.ceil(s / 60)} minutes.`;
}

/** Counts one attempt for the username and the address; TOO_MANY_REQUESTS when either is over its limit. */
export async function reserveSignInAttempt(db: Db, keys: AttemptKeys, config: ThrottleConfig): Promise<void> {
  const entries: ThrottleEntry[] = [
    { scope: "username", key: usernameKey(keys.username), limit: config.maxFailuresPerUser },
  ];
  const address = addressKey(keys.ip);
  if (address) entries.push({ scope: "address", key: address, limit: config.maxFailuresPerAddress });
  const retryAfter = await reserve(db, entries, config.windowSeconds);
  if (retryAfter > 0) throw tooManyRequests(tooManySignInsMessage(retryAfter), retryAfter);
}

/**
 * API key creation (issue 18), throttled as sign-in is: at most `limit` new keys per user in a fixed window
 * (`key_creation` rows of the same table), so a stolen session or key cannot mint keys by the thousand.
 */
export async function reserveKeyCreation(
  db: Db,
  userId: string,
  config: { limit: number; windowSeconds: number },
): Promise<void> {
  const retryAfter = await reserve(
    db,
    [{ scope: "key_creation", key: userId, limit: config.limit }],
    config.windowSeconds,
  );
  if (retryAfter > 0) {
    throw tooManyRequests(
      `Too many API keys created. Try again in ${retryAfter} second${retryAfter === 1 ? "" : "s"}.`,
      retryAfter,
    );
  }
}

interface ThrottleEntry {
  /** `username`, `address` or `key_creation`. */
  scope: string;
  key: string;
  limit: number;
}

/** Counts one attempt per entry; the whole seconds until the last window over its limit ends, or 0. */
async function reserve(db: Db, entries: ThrottleEntry[], windowSeconds: number): Promise<number> {
  const window = sql`(${windowSeconds}::int * interval '1 second')`;
  // Ended windows count nothing: sweep them, so rows for made-up usernames and addresses do not accumulate.
  await db.delete(loginThrottle).where(sql`${loginThrottle.windowStartedAt} <= now() - ${window}`);

  const result = await db.execute<{ scope: string; attempts: number; retry_after: number }>(sql`
    insert into login_throttle as t (scope, key, attempts, window_started_at)
    values ${sql.join(
      entries.map((e) => sql`(${e.scope}, ${e.key}, 1, now())`),
      sql`, `,
    )}
    on conflict (scope, key) do update set
      attempts = case when t.window_started_at <= now() - ${window} then 1 else t.attempts + 1 end,
      window_started_at = case when t.window_started_at <= now() - ${window} then now() else t.window_started_at end
    returning scope, attempts, extract(epoch from (window_started_at + ${window} - now()))::float8 as retry_after`);

  let retryAfter = 0;
  for (const row of result.rows) {
    const entry = entries.find((e) => e.scope === row.scope);
    if (entry && row.attempts > entry.limit) retryAfter = Math.max(retryAfter, row.retry_after);
  }
  return retryAfter > 0 ? Math.max(1, Math.ceil(retryAfter)) : 0;
}

/** A successful sign-in gives its attempt back: the username's count is reset, the address's lowered by one. */
export async function settleSuccessfulSignIn(db: Db, keys: AttemptKeys): Promise<void> {
  await db
    .delete(loginThrottle)
    .where(and(eq(loginThrottle.scope, "username"), eq(loginThrottle.key, usernameKey(keys.username))));
  const address = addressKey(keys.ip);
  if (address) {
    await db
      .update(loginThrottle)
      .set({ attempts: sql`greatest(${loginThrottle.attempts} - 1, 0)` })
      .where(and(eq(loginThrottle.scope, "address"), eq(loginThrottle.key, address)));
  }
}
