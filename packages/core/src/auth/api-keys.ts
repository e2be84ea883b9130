import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { messages } from "../contract/messages";
import type { Db } from "../db/client";
import { apiTokens } from "../db/schema";
import { type Env, env } from "../env";
import { invalid, notFound } from "../errors";
import { isUuid } from "../filters/values";
import { parseInput } from "../validation";
import { recordAccountEvent } from "./account-events";
import type { Actor } from "./actor";
import { SCOPES, type Scope } from "./scopes";
import { reserveKeyCreation } from "./throttle";
import { generateTokenKey, hashTokenKey } from "./tokens";

/**
 * A user's own API keys (issue 18): create (the secret shown once), list (no secret), revoke. Everyone manages
 * their own keys only, superusers too: another user's key is 404, as if it did not exist. Revoking deletes the
 * row, so the very next request with it finds no key (401) — no cache holds a key's authentication
 * (token-actor.ts: every request looks its key up).
 */
export interface ApiKeyDto {
  id: string;
  name: string;
  scopes: Scope[];
  /** ISO 8601, or null: never expires. */
  expires_at: string | null;
  created_date: string;
  /** When it last authenticated a request (moved at most once a minute), or null: never used. */
  last_used_at: string | null;
  /** The key's first 8 characters, to tell keys apart. */
  key_prefix: string;
}

/** The create answer: the only time the key itself is shown. */
export interface CreatedApiKeyDto extends ApiKeyDto {
  token: string;
}

export const API_KEY_NAME_MAX = 100;

export const createApiKeyInput = z
  .object({
    name: z
      .string({ error: (iss) => (iss.input === undefined ? messages.required : messages.string) })
      .trim()
      .min(1, "This field may not be blank.")
      .max(API_KEY_NAME_MAX, messages.maxLength(API_KEY_NAME_MAX))
      .refine((v) => !v.includes("\u0000"), messages.nullCharacters),
    scopes: z
      .array(z.enum(SCOPES, { error: (iss) => messages.choice(iss.input) }))
      .min(1, "Choose at least one scope.")
      .max(SCOPES.length * 4)
      .default([...SCOPES])
      // In SCOPES' order, once each.
      .transform((list) => SCOPES.filter((s) => list.includes(s))),
    expires_at: z.iso
      .datetime({ offset: true, error: "Enter a date and time in ISO 8601, e.g. 2027-01-31T00:00:00Z." })
      .nullable()
      .default(null),
  })
  .strict();

export type CreateApiKeyInput = z.input<typeof createApiKeyInput>;

const columns = {
  id: apiTokens.id,
  name: apiTokens.name,
  scopes: apiTokens.scopes,
  expiresAt: apiTokens.expiresAt,
  createdDate: apiTokens.createdDate,
  lastUsedAt: apiTokens.lastUsedAt,
  keyPrefix: apiTokens.keyPrefix,
};

type KeyRow = { [K in keyof typeof columns]: (typeof apiTokens.$inferSelect)[K] };

const toDto = (row: KeyRow): ApiKeyDto => ({
  id: row.id,
  name: row.name,
  scopes: SCOPES.filter((s) => row.scopes.includes(s)),
  expires_at: row.expiresAt?.toISOString() ?? null,
  created_date: row.createdDate.toISOString(),
  last_used_at: row.lastUsedAt?.toISOString() ?? null,
  key_prefix: row.keyPrefix,
});

export interface ApiKeyConfig {
  /** Keys one user may create per window. */
  creationsPerWindow: number;
  windowSeconds: number;
}

export function apiKeyConfigFromEnv(e: Env = env()): ApiKeyConfig {
  return { creationsPerWindow: e.API_KEY_CREATIONS_PER_USER, windowSeconds: e.LOGIN_THROTTLE_WINDOW_SECONDS };
}

/** Creates a key of the actor's own; `expires_at` must be in the future (the database's clock). */
export async function createApiKey(
  db: Db,
  actor: Actor,
  input: unknown,
  config: ApiKeyConfig = apiKeyConfigFromEnv(),
): Promise<CreatedApiKeyDto> {
  const { name, scopes, expires_at } = parseInput(createApiKeyInput, input);
  await reserveKeyCreation(db, actor.id, {
    limit: config.creationsPerWindow,
    windowSeconds: config.windowSeconds,
  });
  const key = generateTokenKey();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({
        userId: actor.id,
        keyHash: hashTokenKey(key),
        keyPrefix: key.slice(0, 8),
        name,
        scopes,
        expiresAt: expires_at === null ? null : new Date(expires_at),
      })
      .returning({ ...columns, past: sql<boolean>`coalesce(${apiTokens.expiresAt} <= now(), false)` });
    if (!row) throw new Error("api key insert returned no row");
    // Thrown inside the transaction: the key is rolled back.
    if (row.past) throw invalid({ expires_at: ["Must be in the future."] });
    const dto = toDto(row);
    await recordAccountEvent(tx, {
      type: "token.created",
      actorId: actor.id,
      userId: actor.id,
      tokenId: row.id,
      detail: { name, scopes, expires_at: dto.expires_at, key_prefix: dto.key_prefix },
    });
    return { ...dto, token: key };
  });
}

/** The actor's own keys, newest first, without their secrets. */
export async function listApiKeys(db: Db, actor: Actor): Promise<ApiKeyDto[]> {
  const rows = await db
    .select(columns)
    .from(apiTokens)
    .where(eq(apiTokens.userId, actor.id))
    .orderBy(desc(apiTokens.createdDate), desc(apiTokens.id));
  return rows.map(toDto);
}

/** Revokes (deletes) one of the actor's own keys at once; anyone else's, or none, is NOT_FOUND. */
export async function revokeApiKey(db: Db, actor: Actor, id: string): Promise<void> {
  if (!isUuid(id)) throw notFound();
  await db.transaction(async (tx) => {
    const [row] = await tx
      .delete(apiTokens)
      .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, actor.id)))
      .returning(columns);
    if (!row) throw notFound();
    await recordAccountEvent(tx, {
      type: "token.revoked",
      actorId: actor.id,
      userId: actor.id,
      tokenId: row.id,
      detail: { name: row.name, key_prefix: row.keyPrefix },
    });
  });
}
