import {
  type ChangePasswordInput,
  type CreateApiKeyInput,
  changePassword,
  createApiKey,
  getAccount,
  listApiKeys,
  revokeApiKey,
  type UpdateAccountInput,
  updateAccount,
} from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { accountProcedure, sessionProcedure } from "../init";

// Typed as the service's input, validated by the service alone (its field errors, as elsewhere).
const object = <T>() => z.custom<T>((v) => typeof v === "object" && v !== null && !Array.isArray(v));

/**
 * The signed-in user's own settings (issue 16), API keys and password (issue 18). Keys and settings: a session,
 * or a key with every scope (as the REST door's /api/v1/tokens/); the password: a session only.
 */
export const accountRouter = {
  get: accountProcedure.query(({ ctx }) => getAccount(ctx.db, ctx.actor)),
  update: accountProcedure
    .input(object<UpdateAccountInput>())
    .mutation(({ ctx, input }) => updateAccount(ctx.db, ctx.actor, input)),
  tokens: {
    list: accountProcedure.query(({ ctx }) => listApiKeys(ctx.db, ctx.actor)),
    /** The answer's `token` is the only time the key is shown. */
    create: accountProcedure
      .input(object<CreateApiKeyInput>())
      .mutation(({ ctx, input }) => createApiKey(ctx.db, ctx.actor, input)),
    revoke: accountProcedure.input(z.object({ id: z.string().max(64) })).mutation(async ({ ctx, input }) => {
      await revokeApiKey(ctx.db, ctx.actor, input.id);
      return { revoked: true as const };
    }),
  },
  /** Ends every other session of the user; this one stays. */
  changePassword: sessionProcedure.input(object<ChangePasswordInput>()).mutation(({ ctx, input }) =>
    changePassword(ctx.db, ctx.actor, input, {
      keepSessionId: ctx.auth.via === "session" ? ctx.auth.sessionId : null,
      ip: ctx.client.ip,
    }),
  ),
} satisfies TRPCRouterRecord;
