import { getResource, listQueryInput, listResource } from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { readProcedure } from "../init";

/**
 * The tRPC twin of an exportable resource's list endpoint (`<key>.list`): the same input as the REST
 * query string, the same service, the same page. The resource is looked up once, when the router is built.
 */
export function resourceRouter(key: string) {
  const resource = getResource(key);
  return {
    list: readProcedure
      .input(listQueryInput)
      .query(({ ctx, input }) => listResource(ctx.db, resource, input)),
  } satisfies TRPCRouterRecord;
}
