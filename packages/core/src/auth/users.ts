import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "../db/client";
import { preparedPerDb } from "../db/prepared";
import { apiTokens, users } from "../db/schema";
import { DomainError, invalid, unauthenticated } from "../errors";
import { parseInput } from "../validation";
import type { Actor } from "./actor";
import { hashPassword, verifyPassword } from "./passwords";
import { generateTokenKey, hashTokenKey, parseAuthorization } from "./tokens";

export const usernameSchema = z
  .string()
  .min(1, "This field may not be blank.")
  .max(150, "Ensure this field has no more than 150 characters.")
  .regex(/^[\w.@+-]+$/, "Enter a valid username: letters, digits and @/./+/-/_ only.");

export const passwordSchema = z
  .string()
  .min(8, "Ensure this field has at least 8 characters.")
  .max(1024, "Ensure this field has no more than 1024 characters.");

export const createUserInput = z.object({
  username: usernameSchema,
  password: passwordSchema.optional(),
  isSuperuser: z.boolean().default(false),
});

export interface CreatedUser {
  id: string;
  username: string;
  is_superuser: boolean;
  token: string;
}

function toActor(u: { id: string; username: string; isSuperuser: boolean }): Actor {
  return { id: u.id, username: u.username, isSuperuser: u.isSuperuser };
}

async function issueToken(db: Executor, userId: string): Promise<string> {
  const key = generateTokenKey();
  await db.insert(apiTokens).values({ userId, keyHash: hashTokenKey(key), keyPrefix: key.slice(0, 8) });
  return key;
}

/** Creates a user and a first API token (shown once). */
export async function createUser(db: Db, input: z.input<typeof createUserInput>): Promise<CreatedUser> {
  const { username, password, isSuperuser } = parseInput(createUserInput, input);
  const passwordHash = password ? await hashPassword(password) : null;
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(users)
      .values({ username, passwordHash, isSuperuser })
      .onConflictDoNothing({ target: users.username })
      .returning();
    const user = inserted[0];
    if (!user) throw invalid({ username: ["A user with that username already exists."] });
    const token = await issueToken(tx, user.id);
    return { id: user.id, username: user.username, is_superuser: user.isSuperuser, token };
  });
}

export async function createTokenForUsername(
  db: Db,
  username: string,
): Promise<{ username: string; token: string }> {
  const user = await db.query.users.findFirst({ where: eq(users.username, username) });
  if (!user) throw new DomainError("NOT_FOUND", `No user named "${username}".`);
  return { username: user.username, token: await issueToken(db, user.id) };
}

export async function countUsers(db: Db): Promise<number> {
  const rows = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return rows[0]?.n ?? 0;
}

/** How often a token's `last_used_at` is written: at most once a minute, not on every request. */
const LAST_USED_RESOLUTION = sql`now() - interval '1 minute'`;

/** The user of a token, by the token's hash (prepared: every API request runs it). */
const tokenLookup = preparedPerDb((db) =>
  db
    .select({
      id: users.id,
      username: users.username,
      isSuperuser: users.isSuperuser,
      lastUsedAt: apiTokens.lastUsedAt,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.keyHash, sql.placeholder("keyHash")))
    .limit(1)
    .prepare("auth_token_lookup"),
);

/** The actor behind an `Authorization` header, or UNAUTHENTICATED with DRF's messages. */
export async function authenticateHeader(db: Db, header: string | null | undefined): Promise<Actor> {
  const parsed = parseAuthorization(header);
  if (parsed.kind === "none") throw unauthenticated();
  if (parsed.kind === "invalid") throw unauthenticated(parsed.detail);
  const keyHash = hashTokenKey(parsed.key);
  const rows = await tokenLookup(db).execute({ keyHash });
  const row = rows[0];
  if (!row) throw unauthenticated("Invalid token.");
  if (!row.lastUsedAt || row.lastUsedAt.getTime() < Date.now() - 60_000) {
    await db
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()` })
      .where(
        and(
          eq(apiTokens.keyHash, keyHash),
          or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, LAST_USED_RESOLUTION)),
        ),
      );
  }
  return toActor(row);
}

/** Username + password → actor (for the dashboard's sign-in). Constant work whether or not the user exists. */
export async function verifyCredentials(db: Db, username: string, password: string): Promise<Actor | null> {
  const user = await db.query.users.findFirst({ where: eq(users.username, username) });
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  return user?.passwordHash && ok ? toActor(user) : null;
}

const DUMMY_HASH = `scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$${"A".repeat(86)}`;
