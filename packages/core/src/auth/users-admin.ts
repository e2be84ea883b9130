import { and, asc, count, eq, ilike, inArray, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "../db/client";
import { passwordLinks, sessions, type User, users } from "../db/schema";
import { DomainError, forbidden, invalid, notFound } from "../errors";
import type { Page } from "../filters/pagination";
import { parsePageRequest } from "../filters/pagination";
import { isUuid } from "../filters/values";
import { parseInput } from "../validation";
import { recordAccountEvent } from "./account-events";
import type { Actor } from "./actor";
import { issuePasswordLink, type PasswordLink } from "./password-links";
import { hashPassword } from "./passwords";
import { emailSchema, passwordSchema, usernameSchema } from "./users";

/**
 * Users as superusers manage them (issue 18): REST `/api/v1/users/`, tRPC `users.*` and the dashboard's
 * /users page. Every operation is for superusers only (anyone else: FORBIDDEN, before the input is read).
 *
 * - Deactivating ends the user's sessions (rows deleted) and deletes their set-password link in the same
 *   transaction; their API keys authenticate nobody from that commit on (token-actor.ts joins
 *   `users.is_active`), and so on the very next request. Their exports, files and templates are kept; the
 *   scheduler skips a deactivated owner's templates. Reactivating restores their keys, not their sessions.
 * - A superuser can never deactivate or demote themselves, nor reset their own password here (a 400 naming
 *   the field): the account page changes one's own password, with the current one.
 * - A password reset (a new password, or a new set-password link, which also removes the old password)
 *   ends the user's sessions; their API keys stay (revoked on their own).
 * - Every change is written to `account_events` with who did it, in the transaction that makes it.
 */

export interface UserDto {
  id: string;
  username: string;
  email: string | null;
  email_notifications: boolean;
  is_superuser: boolean;
  is_active: boolean;
  /** Whether the user can sign in to the dashboard with a password (false: none set yet, or reset). */
  has_password: boolean;
  created_date: string;
  modified_date: string;
}

export interface SetPasswordLinkDto {
  /** `/set-password?token=…`: shown once, to the superuser who asked for it. */
  path: string;
  expires_at: string;
}

/** A created or changed user, with the set-password link issued by this call (else null). */
export interface AdminUserResult extends UserDto {
  set_password_link: SetPasswordLinkDto | null;
}

export const userListQueryInput = z
  .object({
    limit: z.union([z.string(), z.number()]).transform(String).optional(),
    page: z.union([z.string(), z.number()]).transform(String).optional(),
    is_active: z.enum(["true", "false"], { error: "Must be true or false." }).optional(),
    search: z.string().max(150, "Ensure this field has no more than 150 characters.").optional(),
  })
  .strict();

export const adminCreateUserInput = z
  .object({
    username: usernameSchema,
    email: emailSchema.optional(),
    is_superuser: z.boolean().default(false),
    /** The initial password; without it a one-time set-password link is issued. */
    password: passwordSchema.optional(),
    /** Issue a set-password link (the default without a password); false needs a password. */
    set_password_link: z.boolean().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.password !== undefined && v.set_password_link === true)
      ctx.addIssue({
        code: "custom",
        path: ["set_password_link"],
        message: "Give a password or ask for a set-password link, not both.",
      });
    if (v.password === undefined && v.set_password_link === false)
      ctx.addIssue({
        code: "custom",
        path: ["password"],
        message: "Give a password, or ask for a set-password link.",
      });
  });
export type AdminCreateUserInput = z.input<typeof adminCreateUserInput>;

export const adminUpdateUserInput = z
  .object({
    email: emailSchema.optional(),
    is_superuser: z.boolean().optional(),
    is_active: z.boolean().optional(),
    /** A new password (the user's sessions end). */
    password: passwordSchema.optional(),
    /** `true`: remove the password and issue a new set-password link (the user's sessions end). */
    reset_password: z.literal(true, { error: "Only true is accepted." }).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.password !== undefined && v.reset_password)
      ctx.addIssue({
        code: "custom",
        path: ["reset_password"],
        message: "Give a new password or ask for a set-password link, not both.",
      });
  });
export type AdminUpdateUserInput = z.input<typeof adminUpdateUserInput>;

export const CANNOT_DEACTIVATE_SELF = "You cannot deactivate yourself. Ask another superuser.";
export const CANNOT_DEMOTE_SELF = "You cannot remove your own superuser status. Ask another superuser.";
export const CANNOT_RESET_OWN_PASSWORD = "Change your own password on your account page.";

/** FORBIDDEN unless a superuser (a door calls it before reading a body, so a regular user's answer is 403 whatever they send). */
export function requireSuperuser(actor: Actor): void {
  if (!actor.isSuperuser) throw forbidden();
}

export function toUserDto(u: User): UserDto {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    email_notifications: u.emailNotifications,
    is_superuser: u.isSuperuser,
    is_active: u.isActive,
    has_password: u.passwordHash !== null,
    created_date: u.createdDate.toISOString(),
    modified_date: u.modifiedDate.toISOString(),
  };
}

const linkDto = (link: PasswordLink | null): SetPasswordLinkDto | null =>
  link ? { path: link.path, expires_at: link.expiresAt.toISOString() } : null;

/** Usernames alphabetically; `?is_active=true|false`, `?search=` (part of the username, any case). */
export async function listUsers(db: Db, actor: Actor, query: unknown): Promise<Page<UserDto>> {
  requireSuperuser(actor);
  const params = parseInput(userListQueryInput, query ?? {});
  const paging: Record<string, string> = {};
  if (params.limit !== undefined) paging.limit = params.limit;
  if (params.page !== undefined) paging.page = params.page;
  const page = parsePageRequest(paging, { username: [] }, "username");
  const conditions: SQL[] = [];
  if (params.is_active !== undefined) conditions.push(eq(users.isActive, params.is_active === "true"));
  const search = params.search?.trim();
  if (search) conditions.push(ilike(users.username, `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  const where = conditions.length ? and(...conditions) : undefined;
  const [rows, totals] = await Promise.all([
    db.select().from(users).where(where).orderBy(asc(users.username)).limit(page.limit).offset(page.offset),
    db.select({ n: count() }).from(users).where(where),
  ]);
  return { items: rows.map(toUserDto), total: totals[0]?.n ?? 0, page: page.page, limit: page.limit };
}

async function findUserRow(db: Executor, id: string): Promise<User> {
  if (!isUuid(id)) throw notFound();
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  if (!row) throw notFound();
  return row;
}

export async function getUser(db: Db, actor: Actor, id: string): Promise<UserDto> {
  requireSuperuser(actor);
  return toUserDto(await findUserRow(db, id));
}

/** A new user with an initial password, or without one and a set-password link (shown once). */
export async function adminCreateUser(db: Db, actor: Actor, input: unknown): Promise<AdminUserResult> {
  requireSuperuser(actor);
  const data = parseInput(adminCreateUserInput, input);
  const passwordHash = data.password !== undefined ? await hashPassword(data.password) : null;
  return db.transaction(async (tx) => {
    const [user] = await tx
      .insert(users)
      .values({
        username: data.username,
        email: data.email ?? null,
        isSuperuser: data.is_superuser,
        passwordHash,
      })
      .onConflictDoNothing({ target: users.username })
      .returning();
    if (!user) throw invalid({ username: ["A user with that username already exists."] });
    const link = passwordHash === null ? await issuePasswordLink(tx, user.id, actor.id) : null;
    await recordAccountEvent(tx, {
      type: "user.created",
      actorId: actor.id,
      userId: user.id,
      detail: {
        username: user.username,
        is_superuser: user.isSuperuser,
        password: link ? "set_password_link" : "set",
      },
    });
    return { ...toUserDto(user), set_password_link: linkDto(link) };
  });
}

/**
 * PATCH: email, superuser flag, active flag, and a password reset (a new password or a new link). Fields left
 * out stay as they are; `actor` null is the CLI (a shell on the host: no superuser check, no self rules).
 */
export async function adminUpdateUser(
  db: Db,
  actor: Actor | null,
  id: string,
  input: unknown,
): Promise<AdminUserResult> {
  if (actor) requireSuperuser(actor);
  if (!isUuid(id)) throw notFound();
  const data = parseInput(adminUpdateUserInput, input);
  if (actor?.id === id) {
    const fields: Record<string, string[]> = {};
    if (data.is_active === false) fields.is_active = [CANNOT_DEACTIVATE_SELF];
    if (data.is_superuser === false) fields.is_superuser = [CANNOT_DEMOTE_SELF];
    if (data.password !== undefined) fields.password = [CANNOT_RESET_OWN_PASSWORD];
    if (data.reset_password) fields.reset_password = [CANNOT_RESET_OWN_PASSWORD];
    if (Object.keys(fields).length) throw invalid(fields);
  }
  // scrypt outside the transaction: no row stays locked while it runs.
  const newPasswordHash = data.password !== undefined ? await hashPassword(data.password) : undefined;
  const actorId = actor?.id ?? null;
  return db.transaction(async (tx) => {
    // The actor's row is locked with the target's, in id order (no deadlock), and must still be an active
    // superuser: two superusers deactivating each other at once cannot both succeed (the second finds itself
    // deactivated), so some active superuser always remains.
    const locked = await tx
      .select()
      .from(users)
      .where(inArray(users.id, actor ? [id, actor.id] : [id]))
      .orderBy(asc(users.id))
      .for("update");
    const before = locked.find((u) => u.id === id);
    if (!before) throw notFound();
    if (actor) {
      const self = locked.find((u) => u.id === actor.id);
      if (!self?.isActive || !self.isSuperuser) throw forbidden();
    }
    const set: Partial<typeof users.$inferInsert> = {};
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    if (data.email !== undefined && data.email !== before.email) {
      set.email = data.email;
      changes.email = { from: before.email, to: data.email };
    }
    if (data.is_superuser !== undefined && data.is_superuser !== before.isSuperuser) {
      set.isSuperuser = data.is_superuser;
      changes.is_superuser = { from: before.isSuperuser, to: data.is_superuser };
    }
    const activeChanged = data.is_active !== undefined && data.is_active !== before.isActive;
    if (activeChanged) set.isActive = data.is_active;
    const reset = newPasswordHash !== undefined || data.reset_password === true;
    if (newPasswordHash !== undefined) set.passwordHash = newPasswordHash;
    if (data.reset_password) set.passwordHash = null;

    let after = before;
    if (Object.keys(set).length) {
      const [row] = await tx.update(users).set(set).where(eq(users.id, id)).returning();
      if (!row) throw notFound();
      after = row;
    }
    const event = { actorId, userId: id };
    if (Object.keys(changes).length)
      await recordAccountEvent(tx, { ...event, type: "user.updated", detail: changes });
    if (activeChanged && !after.isActive) {
      // At once: the sessions go with this commit; the keys are refused by the same commit (is_active).
      await tx.delete(sessions).where(eq(sessions.userId, id));
      await tx.delete(passwordLinks).where(eq(passwordLinks.userId, id));
      await recordAccountEvent(tx, { ...event, type: "user.deactivated" });
    } else if (activeChanged) {
      await recordAccountEvent(tx, { ...event, type: "user.activated" });
    }
    if (data.reset_password && !after.isActive)
      throw invalid({
        reset_password: ["Reactivate the user first: a deactivated user's link would not work."],
      });
    let link: PasswordLink | null = null;
    if (reset) {
      await tx.delete(sessions).where(eq(sessions.userId, id));
      if (data.reset_password) link = await issuePasswordLink(tx, id, actorId);
      await recordAccountEvent(tx, {
        ...event,
        type: "user.password_reset",
        detail: { via: data.reset_password ? "set_password_link" : "password" },
      });
    }
    return { ...toUserDto(after), set_password_link: linkDto(link) };
  });
}

/**
 * The CLI's `users:deactivate` / `users:activate`: as a superuser's PATCH of `is_active` (sessions ended,
 * events recorded with no actor), by username.
 */
export async function setUserActive(
  db: Db,
  username: string,
  active: boolean,
): Promise<{ username: string; is_active: boolean }> {
  const user = await db.query.users.findFirst({ where: eq(users.username, username) });
  if (!user) throw new DomainError("NOT_FOUND", `No user named "${username}".`);
  const after = await adminUpdateUser(db, null, user.id, { is_active: active });
  return { username: after.username, is_active: after.is_active };
}
