import {
  type AdminCreateUserInput,
  type AdminUpdateUserInput,
  adminCreateUser,
  adminUpdateUser,
  getUser,
  listUsers,
} from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { accountProcedure } from "../init";

// Typed as the service's input, checked by the service alone: a regular user is FORBIDDEN before any of
// their input is looked at (as over REST), and a superuser's bad input gets the service's field errors.
const anyInput = <T>() => z.custom<T>(() => true);

/**
 * Issue 18: the REST `/api/v1/users/` twins, for the dashboard's /users page. Superusers only (core's
 * auth/users-admin.ts); the set-password link is answered as a path, which the page prefixes with its origin.
 */
export const usersRouter = {
  list: accountProcedure
    .input(anyInput<{ limit?: number; page?: number; is_active?: "true" | "false"; search?: string }>())
    .query(({ ctx, input }) => listUsers(ctx.db, ctx.actor, input ?? {})),
  get: accountProcedure
    .input(anyInput<{ id: string }>())
    .query(({ ctx, input }) => getUser(ctx.db, ctx.actor, String((input as { id?: unknown })?.id ?? ""))),
  create: accountProcedure
    .input(anyInput<AdminCreateUserInput>())
    .mutation(({ ctx, input }) => adminCreateUser(ctx.db, ctx.actor, input)),
  update: accountProcedure
    .input(anyInput<{ id: string; changes: AdminUpdateUserInput }>())
    .mutation(({ ctx, input }) => {
      const { id, changes } = (input ?? {}) as { id?: unknown; changes?: unknown };
      return adminUpdateUser(ctx.db, ctx.actor, String(id ?? ""), changes ?? {});
    }),
} satisfies TRPCRouterRecord;
