import {
  type CreateTemplateInput,
  createTemplate,
  deleteTemplate,
  exportIdInput,
  findTemplate,
  listQueryInput,
  listTemplates,
  runTemplate,
  type UpdateTemplateInput,
  updateTemplate,
} from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { readProcedure, writeProcedure } from "../init";

// Typed as the shared schemas' input, validated by the service alone (every problem at once, as REST).
const anObject = <T>() => z.custom<T>((v) => typeof v === "object" && v !== null && !Array.isArray(v));

/** The tRPC twins of /api/v1/export_templates/: same services. */
export const templatesRouter = {
  list: readProcedure
    .input(listQueryInput)
    .query(({ ctx, input }) => listTemplates(ctx.db, ctx.actor, input)),
  get: readProcedure
    .input(exportIdInput)
    .query(({ ctx, input }) => findTemplate(ctx.db, ctx.actor, input.id)),
  create: writeProcedure
    .input(anObject<CreateTemplateInput>())
    .mutation(({ ctx, input }) => createTemplate(ctx.db, ctx.actor, input)),
  update: writeProcedure
    .input(z.object({ id: exportIdInput.shape.id, patch: anObject<UpdateTemplateInput>() }))
    .mutation(({ ctx, input }) => updateTemplate(ctx.db, ctx.actor, input.id, input.patch)),
  delete: writeProcedure.input(exportIdInput).mutation(async ({ ctx, input }) => {
    await deleteTemplate(ctx.db, ctx.actor, input.id);
    return { id: input.id };
  }),
  run: writeProcedure
    .input(exportIdInput)
    .mutation(async ({ ctx, input }) => (await runTemplate(ctx.db, ctx.actor, input.id)).export),
} satisfies TRPCRouterRecord;
