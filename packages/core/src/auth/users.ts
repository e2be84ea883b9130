import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "../db/client";
import { apiTokens, users } from "../db/schema";
import { DomainError, invalid } from "../errors";
import { parseInput } from "../validation";
import { recordAccountEvent } from "./account-events";
import type { Actor } from "./actor";
import { hashPassword, verifyPassword } from "./passwords";
import { SCOPES } from "./scopes";
import { generateTokenKey, hashTokenKey } from "./tokens";

export { authenticateHeader } from "./token-actor";

export const usernameSchema = z
  .string()
  .min(1, "This field may not be blank.")
  .max(150, "Ensure this field has no more than 150 characters.")
  .regex(/^[\w.@+-]+$/, "Enter a valid username: letters, digits and @/./+/-/_ only.");

export const passwordSchema = z
  .string()
  .min(8, "Ensure this field has at least 8 characters.")
  .max(1024, "Ensure this field has no more than 1024 characters.");

/** Where export emails go; empty or null: none. */
export const emailSchema = z
  .string()
  .trim()
  .max(254, "Ensure this field has no more than 254 characters.")
  .refine((v) => v === "" || z.email().safeParse(v).success, "Enter a valid email address.")
  .transform((v) => (v === "" ? null : v))
  .nullable();

export const createUserInput = z.object({
  username: usernameSchema,
  password: passwordSchema.optional(),
  email: emailSchema.optional(),
  isSuperuser: z.boolean().default(false),
});

export interface CreatedUser {
  id: string;
  username: string;
  is_superuser: boolean;
  email: string | null;
  token: string;
}

function toActor(u: { id: string; username: string; isSuperuser: boolean }): Actor {
  return { id: u.id, username: u.username, isSuperuser: u.isSuperuser };
}

/** A key with every scope (the column's default) and no expiry: the first-start and CLI keys. */
async function issueToken(db: Executor, userId: string, name = ""): Promise<{ id: string; key: string }> {
  const key = generateTokenKey();
  const [row] = await db
    .insert(apiTokens)
    .values({ userId, keyHash: hashTokenKey(key), keyPrefix: key.slice(0, 8), name })
    .returning({ id: apiTokens.id });
  if (!row) throw new Error("token insert returned no row");
  return { id: row.id, key };
}

/** Creates a user and a first API token (shown once). */
export async function createUser(
  db: Db,
  input: z.input<typeof createUserInput>,
  /** Who creates it, for the account events; null: the CLI or the first start. */
  actorId: string | null = null,
): Promise<CreatedUser> {
  const { username, password, isSuperuser, email } = parseInput(createUserInput, input);
  const passwordHash = password ? await hashPassword(password) : null;
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(users)
      .values({ username, passwordHash, isSuperuser, email: email ?? null })
      .onConflictDoNothing({ target: users.username })
      .returning();
    const user = inserted[0];
    if (!user) throw invalid({ username: ["A user with that username already exists."] });
    const { id: tokenId, key: token } = await issueToken(tx, user.id, "First key");
    await recordAccountEvent(tx, {
      type: "user.created",
      actorId,
      userId: user.id,
      detail: {
        username: user.username,
        is_superuser: user.isSuperuser,
        password: passwordHash ? "set" : "none",
      },
    });
    await recordAccountEvent(tx, {
      type: "token.created",
      actorId,
      userId: user.id,
      tokenId,
      detail: { name: "First key", scopes: [...SCOPES], expires_at: null, key_prefix: token.slice(0, 8) },
    });
    return { id: user.id, username: user.username, is_superuser: user.isSuperuser, email: user.email, token };
  });
}

export async function createTokenForUsername(
  db: Db,
  username: string,
): Promise<{ username: string; token: string }> {
  const user = await db.query.users.findFirst({ where: eq(users.username, username) });
  if (!user) throw new DomainError("NOT_FOUND", `No user named "${username}".`);
  return db.transaction(async (tx) => {
    const { id, key } = await issueToken(tx, user.id, "CLI");
    // A shell on the host did it: no actor.
    await recordAccountEvent(tx, {
      type: "token.created",
      actorId: null,
      userId: user.id,
      tokenId: id,
      detail: { name: "CLI", scopes: [...SCOPES], expires_at: null, key_prefix: key.slice(0, 8) },
    });
    return { username: user.username, token: key };
  });
}

export async function countUsers(db: Db): Promise<number> {
  const rows = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return rows[0]?.n ?? 0;
}

/** Username + password → actor (for the dashboard's sign-in). Constant work whether or not the user exists. */
export async function verifyCredentials(db: Db, username: string, password: string): Promise<Actor | null> {
  const user = await db.query.users.findFirst({ where: eq(users.username, username) });
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  return user?.passwordHash && user.isActive && ok ? toActor(user) : null;
}

const DUMMY_HASH = `scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$${"A".repeat(86)}`;
