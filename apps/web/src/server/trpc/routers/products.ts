import { getResource, listQueryInput, listResource } from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { protectedProcedure } from "../init";

export const productsRouter = {
  list: protectedProcedure
    .input(listQueryInput)
    .query(({ ctx, input }) => listResource(ctx.db, getResource("products"), input)),
} satisfies TRPCRouterRecord;
