import {
  type CreateExportInput,
  cancelExport,
  createExport,
  env,
  exportIdInput,
  exportLimitsFromEnv,
  findExport,
  listAuditEvents,
  listExportEvents,
  listExports,
  listQueryInput,
  retryExport,
} from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { readProcedure, writeProcedure } from "../init";
import { exportChanges } from "../live-stream";

/** The tRPC twins of the REST operations: same schemas, same services. */
export const exportsRouter = {
  list: readProcedure.input(listQueryInput).query(({ ctx, input }) => listExports(ctx.db, ctx.actor, input)),
  get: readProcedure.input(exportIdInput).query(({ ctx, input }) => findExport(ctx.db, ctx.actor, input.id)),
  create: writeProcedure
    // Typed as the shared schema's input, but validated by the service alone, which reports every problem at
    // once (the body's shape, the request path, the fields), exactly as the REST door reports them.
    .input(z.custom<CreateExportInput>((v) => typeof v === "object" && v !== null && !Array.isArray(v)))
    .mutation(
      async ({ ctx, input }) =>
        (await createExport(ctx.db, ctx.actor, input, { limits: exportLimitsFromEnv(env()) })).export,
    ),
  cancel: writeProcedure
    .input(exportIdInput)
    .mutation(({ ctx, input }) => cancelExport(ctx.db, ctx.actor, input.id, { storage: ctx.storage })),
  // Issue 17: a failed export goes on from its last committed page; the audit trail.
  retry: writeProcedure.input(exportIdInput).mutation(({ ctx, input }) =>
    retryExport(ctx.db, ctx.actor, input.id, {
      storage: ctx.storage,
      limits: exportLimitsFromEnv(env()),
    }),
  ),
  events: readProcedure
    .input(exportIdInput)
    .query(({ ctx, input }) => listExportEvents(ctx.db, ctx.actor, input.id)),
  /** Every export's events (superusers), filtered as `GET /api/v1/export_events/`. */
  auditEvents: readProcedure
    .input(listQueryInput)
    .query(({ ctx, input }) => listAuditEvents(ctx.db, ctx.actor, input)),
  /**
   * The dashboard's live updates (server-sent events): every change of an export the caller may see, as
   * retrieve returns it. Tracked ids: a client that reconnects with `lastEventId` gets what it missed.
   */
  changes: readProcedure
    .input(z.object({ lastEventId: z.string().max(100).nullish() }).optional())
    .subscription(({ ctx, input, signal }) => exportChanges(ctx, input?.lastEventId, signal)),
} satisfies TRPCRouterRecord;
