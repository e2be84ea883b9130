import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiTokens } from "../db/schema";
import { namedStatement } from "../db/statement";
import { unauthenticated } from "../errors";
import type { Actor } from "./actor";
import { type Access, assertAccess } from "./scopes";
import { hashTokenKey, parseAuthorization } from "./tokens";

/**
 * Token authentication in SQL fragments, so that a read every request makes can fold the token lookup into
 * its own statement (one round trip instead of two: exports/record-reads.ts). A statement selects
 * TOKEN_ACTOR_COLUMNS from TOKEN_ACTOR_FROM `where t.key_hash = $1`.
 */
// A deactivated user's tokens authenticate nobody (issue 17: users.is_active).
export const TOKEN_ACTOR_FROM = "api_tokens t join users u on u.id = t.user_id and u.is_active";

/**
 * `actor_stale`: whether `last_used_at` is due a write (written at most once a minute, not per request);
 * `actor_scopes` and `actor_expired` (issue 18): columns of the same row, so scopes and expiry cost no query.
 * Expiry is the database's `now()`, as sessions' is: the web processes' clocks do not matter.
 */
export const TOKEN_ACTOR_COLUMNS =
  "u.id as actor_id, u.username as actor_username, u.is_superuser as actor_is_superuser, " +
  "(t.last_used_at is null or t.last_used_at < now() - interval '1 minute') as actor_stale, " +
  "t.scopes as actor_scopes, coalesce(t.expires_at <= now(), false) as actor_expired";

export interface TokenActorRow {
  actor_id: string;
  actor_username: string;
  actor_is_superuser: boolean;
  actor_stale: boolean;
  actor_scopes: string[];
  actor_expired: boolean;
}

export const TOKEN_EXPIRED = "Token expired.";

/** A key's holder and what the key may do. */
export interface TokenAuth {
  actor: Actor;
  scopes: readonly string[];
}

/** The SHA-256 of the key of an `Authorization: Token <key>` header, or UNAUTHENTICATED with DRF's messages. */
export function tokenKeyHashOf(header: string | null | undefined): string {
  const parsed = parseAuthorization(header);
  if (parsed.kind === "none") throw unauthenticated();
  if (parsed.kind === "invalid") throw unauthenticated(parsed.detail);
  return hashTokenKey(parsed.key);
}

/**
 * The actor of a token's row, noting the token's use when it is due; UNAUTHENTICATED when there is no row (an
 * unknown or revoked key: revoking deletes the row) or the key has expired. The key was found by its hash's
 * unique index, so no secret is compared in our code (tokens.ts).
 */
export async function tokenAuthOfRow(
  db: Db,
  keyHash: string,
  row: TokenActorRow | undefined,
): Promise<TokenAuth> {
  if (!row) throw unauthenticated("Invalid token.");
  if (row.actor_expired) throw unauthenticated(TOKEN_EXPIRED);
  if (row.actor_stale) {
    await db
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()` })
      .where(
        and(
          eq(apiTokens.keyHash, keyHash),
          or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`now() - interval '1 minute'`)),
        ),
      );
  }
  return {
    actor: { id: row.actor_id, username: row.actor_username, isSuperuser: row.actor_is_superuser },
    scopes: row.actor_scopes,
  };
}

/** tokenAuthOfRow, then FORBIDDEN naming the scope when the key lacks what the operation needs. */
export async function actorOfTokenRow(
  db: Db,
  keyHash: string,
  row: TokenActorRow | undefined,
  need: Access,
): Promise<Actor> {
  const auth = await tokenAuthOfRow(db, keyHash, row);
  assertAccess({ via: "token", scopes: auth.scopes }, need);
  return auth.actor;
}

const tokenLookup = namedStatement<TokenActorRow>(
  "auth_token_actor",
  `select ${TOKEN_ACTOR_COLUMNS} from ${TOKEN_ACTOR_FROM} where t.key_hash = $1 limit 1`,
);

/** The key behind an `Authorization` header and its scopes, or UNAUTHENTICATED with DRF's messages. */
export async function authenticateToken(db: Db, header: string | null | undefined): Promise<TokenAuth> {
  const keyHash = tokenKeyHashOf(header);
  const rows = await tokenLookup(db, [keyHash]);
  return tokenAuthOfRow(db, keyHash, rows[0]);
}

/**
 * The actor behind an `Authorization` header, or UNAUTHENTICATED with DRF's messages. Whether the key may do
 * a particular thing is the door's check (assertAccess with the operation's declared need).
 */
export async function authenticateHeader(db: Db, header: string | null | undefined): Promise<Actor> {
  return (await authenticateToken(db, header)).actor;
}
