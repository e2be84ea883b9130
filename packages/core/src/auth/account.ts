import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import { DomainError, invalid } from "../errors";
import { parseInput } from "../validation";
import { recordAccountEvent } from "./account-events";
import type { Actor } from "./actor";
import { emailSchema } from "./users";

/** What a user sets about themselves: where export emails go, and whether they are sent (issue 16). */
export interface AccountDto {
  username: string;
  email: string | null;
  email_notifications: boolean;
}

export const updateAccountInput = z
  .object({
    email: emailSchema.optional(),
    email_notifications: z.boolean().optional(),
  })
  .strict();

export type UpdateAccountInput = z.input<typeof updateAccountInput>;

const toDto = (u: typeof users.$inferSelect): AccountDto => ({
  username: u.username,
  email: u.email,
  email_notifications: u.emailNotifications,
});

export async function getAccount(db: Db, actor: Actor): Promise<AccountDto> {
  return updateUserSettings(db, eq(users.id, actor.id), {}, "Not found.", actor.id);
}

/** The signed-in user's own settings; fields left out stay as they are. */
export async function updateAccount(db: Db, actor: Actor, input: UpdateAccountInput): Promise<AccountDto> {
  const changes = parseInput(updateAccountInput, input);
  return updateUserSettings(db, eq(users.id, actor.id), changes, "Not found.", actor.id);
}

/** The CLI's `users:update`: an administrator sets a user's address or opt-out by username. */
export async function updateUserByUsername(
  db: Db,
  username: string,
  input: UpdateAccountInput,
): Promise<AccountDto> {
  const changes = parseInput(updateAccountInput, input);
  if (changes.email === undefined && changes.email_notifications === undefined) {
    throw invalid({ non_field_errors: ["Nothing to change: give an email or the notifications setting."] });
  }
  return updateUserSettings(db, eq(users.username, username), changes, `No user named "${username}".`, null);
}

async function updateUserSettings(
  db: Db,
  where: ReturnType<typeof eq>,
  changes: z.output<typeof updateAccountInput>,
  notFound: string,
  /** Who changes it (account_events); null: the CLI. */
  actorId: string | null,
): Promise<AccountDto> {
  const set: Partial<typeof users.$inferInsert> = {};
  if (changes.email !== undefined) set.email = changes.email;
  if (changes.email_notifications !== undefined) set.emailNotifications = changes.email_notifications;
  if (Object.keys(set).length === 0) {
    const user = await db.query.users.findFirst({ where });
    if (!user) throw new DomainError("NOT_FOUND", notFound);
    return toDto(user);
  }
  return db.transaction(async (tx) => {
    const [user] = await tx.update(users).set(set).where(where).returning();
    if (!user) throw new DomainError("NOT_FOUND", notFound);
    // The new values (an address is not a secret); written with the change, or neither is.
    await recordAccountEvent(tx, {
      type: "user.updated",
      actorId,
      userId: user.id,
      detail: { ...changes },
    });
    return toDto(user);
  });
}
