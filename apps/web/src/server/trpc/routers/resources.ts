import { describeResources } from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { readProcedure } from "../init";

/**
 * The registry of exportable resources (key, path, fields with their labels and types, default fields,
 * filters with their lookups and choices): the dashboard derives its list columns, filter inputs and
 * export dialog from it instead of repeating them.
 */
export const resourcesRouter = {
  list: readProcedure.query(() => describeResources()),
} satisfies TRPCRouterRecord;
