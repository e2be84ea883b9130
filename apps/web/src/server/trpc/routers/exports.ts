import {
  cancelExport,
  createExport,
  createExportInput,
  exportIdInput,
  getExport,
  listExports,
  listQueryInput,
} from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { protectedProcedure } from "../init";

/** The tRPC twins of the REST operations: same schemas, same services. */
export const exportsRouter = {
  list: protectedProcedure
    .input(listQueryInput)
    .query(({ ctx, input }) => listExports(ctx.db, ctx.actor, input)),
  get: protectedProcedure
    .input(exportIdInput)
    .query(({ ctx, input }) => getExport(ctx.db, ctx.actor, input.id)),
  create: protectedProcedure
    .input(createExportInput)
    .mutation(({ ctx, input }) => createExport(ctx.db, ctx.actor, input)),
  cancel: protectedProcedure
    .input(exportIdInput)
    .mutation(({ ctx, input }) => cancelExport(ctx.db, ctx.actor, input.id)),
} satisfies TRPCRouterRecord;
