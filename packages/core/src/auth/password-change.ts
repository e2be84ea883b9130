import { and, eq, ne } from "drizzle-orm";
import { z } from "zod";
import { messages } from "../contract/messages";
import type { Db } from "../db/client";
import { sessions, users } from "../db/schema";
import { invalid, notFound } from "../errors";
import { parseInput } from "../validation";
import { recordAccountEvent } from "./account-events";
import type { Actor } from "./actor";
import { hashPassword, verifyPassword } from "./passwords";
import { type SessionConfig, sessionConfigFromEnv } from "./sessions";
import { reserveSignInAttempt, settleSuccessfulSignIn } from "./throttle";
import { passwordSchema } from "./users";

export const changePasswordInput = z
  .object({
    current_password: z
      .string({ error: (iss) => (iss.input === undefined ? messages.required : messages.string) })
      .min(1, "This field may not be blank.")
      .max(1024, messages.maxLength(1024)),
    new_password: passwordSchema,
  })
  .strict();

export type ChangePasswordInput = z.input<typeof changePasswordInput>;

export const WRONG_CURRENT_PASSWORD = "Your current password is not correct.";

export interface ChangePasswordOptions {
  /** The session the change is made in (its id: the secret's hash): it stays; every other one ends. */
  keepSessionId: string | null;
  /** The client's address, for the sign-in throttle. */
  ip?: string | null;
}

/**
 * A user changes their own password (issue 18): the current one is required, and a wrong one counts as a
 * failed sign-in (the same throttle, so a stolen session cannot guess it). The user's other sessions end in
 * the same transaction as the change; their API keys stay (a key is not a password, and is revoked on its own).
 */
export async function changePassword(
  db: Db,
  actor: Actor,
  input: unknown,
  options: ChangePasswordOptions,
  config: SessionConfig = sessionConfigFromEnv(),
): Promise<{ sessions_ended: number }> {
  const { current_password, new_password } = parseInput(changePasswordInput, input);
  const keys = { username: actor.username, ip: options.ip ?? null };
  await reserveSignInAttempt(db, keys, config);
  const user = await db.query.users.findFirst({ where: eq(users.id, actor.id) });
  if (!user) throw notFound();
  // verifyPassword compares the derived keys with timingSafeEqual.
  if (!user.passwordHash || !(await verifyPassword(current_password, user.passwordHash))) {
    throw invalid({ current_password: [WRONG_CURRENT_PASSWORD] });
  }
  await settleSuccessfulSignIn(db, keys);
  const passwordHash = await hashPassword(new_password);
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, actor.id));
    const others = options.keepSessionId
      ? and(eq(sessions.userId, actor.id), ne(sessions.id, options.keepSessionId))
      : eq(sessions.userId, actor.id);
    const ended = await tx.delete(sessions).where(others).returning({ id: sessions.id });
    await recordAccountEvent(tx, {
      type: "user.password_changed",
      actorId: actor.id,
      userId: actor.id,
      detail: { sessions_ended: ended.length },
    });
    return { sessions_ended: ended.length };
  });
}
