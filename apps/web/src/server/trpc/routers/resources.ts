import { describeResources } from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { protectedProcedure } from "../init";

/**
 * The registry of exportable resources (key, path, fields with their labels and types, default fields,
 * filters with their lookups and choices): the dashboard derives its list columns, filter inputs and
 * export dialog from it instead of repeating them.
 */
export const resourcesRouter = {
  list: protectedProcedure.query(() => describeResources()),
} satisfies TRPCRouterRecord;
