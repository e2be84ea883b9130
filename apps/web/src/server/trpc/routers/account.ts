import { getAccount, type UpdateAccountInput, updateAccount } from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { protectedProcedure } from "../init";

// Typed as the service's input, validated by the service alone (its field errors, as elsewhere).
const object = <T>() => z.custom<T>((v) => typeof v === "object" && v !== null && !Array.isArray(v));

/** The signed-in user's own settings (issue 16): the address export emails go to, and the opt-out. */
export const accountRouter = {
  get: protectedProcedure.query(({ ctx }) => getAccount(ctx.db, ctx.actor)),
  update: protectedProcedure
    .input(object<UpdateAccountInput>())
    .mutation(({ ctx, input }) => updateAccount(ctx.db, ctx.actor, input)),
} satisfies TRPCRouterRecord;
