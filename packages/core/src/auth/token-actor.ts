import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiTokens } from "../db/schema";
import { namedStatement } from "../db/statement";
import { unauthenticated } from "../errors";
import type { Actor } from "./actor";
import { hashTokenKey, parseAuthorization } from "./tokens";

/**
 * Token authentication in SQL fragments, so that a read every request makes can fold the token lookup into
 * its own statement (one round trip instead of two: exports/record-reads.ts). A statement selects
 * TOKEN_ACTOR_COLUMNS from TOKEN_ACTOR_FROM `where t.key_hash = $1`.
 */
// A deactivated user's tokens authenticate nobody (issue 17: users.is_active).
export const TOKEN_ACTOR_FROM = "api_tokens t join users u on u.id = t.user_id and u.is_active";

/** `actor_stale`: whether `last_used_at` is due a write (written at most once a minute, not per request). */
export const TOKEN_ACTOR_COLUMNS =
  "u.id as actor_id, u.username as actor_username, u.is_superuser as actor_is_superuser, " +
  "(t.last_used_at is null or t.last_used_at < now() - interval '1 minute') as actor_stale";

export interface TokenActorRow {
  actor_id: string;
  actor_username: string;
  actor_is_superuser: boolean;
  actor_stale: boolean;
}

/** The SHA-256 of the key of an `Authorization: Token <key>` header, or UNAUTHENTICATED with DRF's messages. */
export function tokenKeyHashOf(header: string | null | undefined): string {
  const parsed = parseAuthorization(header);
  if (parsed.kind === "none") throw unauthenticated();
  if (parsed.kind === "invalid") throw unauthenticated(parsed.detail);
  return hashTokenKey(parsed.key);
}

/** The actor of a token's row (none: the token is unknown), noting the token's use when it is due. */
export async function actorOfTokenRow(
  db: Db,
  keyHash: string,
  row: TokenActorRow | undefined,
): Promise<Actor> {
  if (!row) throw unauthenticated("Invalid token.");
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
  return { id: row.actor_id, username: row.actor_username, isSuperuser: row.actor_is_superuser };
}

const tokenLookup = namedStatement<TokenActorRow>(
  "auth_token_actor",
  `select ${TOKEN_ACTOR_COLUMNS} from ${TOKEN_ACTOR_FROM} where t.key_hash = $1 limit 1`,
);

/** The actor behind an `Authorization` header, or UNAUTHENTICATED with DRF's messages. */
export async function authenticateHeader(db: Db, header: string | null | undefined): Promise<Actor> {
  const keyHash = tokenKeyHashOf(header);
  const rows = await tokenLookup(db, [keyHash]);
  return actorOfTokenRow(db, keyHash, rows[0]);
}
