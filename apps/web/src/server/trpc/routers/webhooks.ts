import {
  type CreateWebhookInput,
  createWebhook,
  deleteWebhook,
  findWebhook,
  listWebhookDeliveries,
  listWebhooks,
  testWebhook,
  type UpdateWebhookInput,
  updateWebhook,
  webhookIdInput,
} from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { readProcedure, writeProcedure } from "../init";

// Typed as the shared schemas' input, validated by the service alone (every problem at once, as over REST).
const object = <T>() => z.custom<T>((v) => typeof v === "object" && v !== null && !Array.isArray(v));

/** The tRPC twins of the webhook REST operations: same schemas, same services. */
export const webhooksRouter = {
  list: readProcedure.query(({ ctx }) => listWebhooks(ctx.db, ctx.actor)),
  get: readProcedure
    .input(webhookIdInput)
    .query(({ ctx, input }) => findWebhook(ctx.db, ctx.actor, input.id)),
  create: writeProcedure
    .input(object<CreateWebhookInput>())
    .mutation(({ ctx, input }) => createWebhook(ctx.db, ctx.actor, input)),
  update: writeProcedure
    .input(webhookIdInput.extend({ changes: object<UpdateWebhookInput>() }))
    .mutation(({ ctx, input }) => updateWebhook(ctx.db, ctx.actor, input.id, input.changes)),
  delete: writeProcedure.input(webhookIdInput).mutation(async ({ ctx, input }) => {
    await deleteWebhook(ctx.db, ctx.actor, input.id);
    return { id: input.id };
  }),
  test: writeProcedure
    .input(webhookIdInput)
    .mutation(({ ctx, input }) => testWebhook(ctx.db, ctx.actor, input.id)),
  deliveries: readProcedure
    .input(webhookIdInput)
    .query(({ ctx, input }) => listWebhookDeliveries(ctx.db, ctx.actor, input.id)),
} satisfies TRPCRouterRecord;
