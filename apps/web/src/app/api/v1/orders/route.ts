import { resourceListRoute } from "~/server/rest/resource-list";

export const dynamic = "force-dynamic";

/** GET /api/v1/orders/ — an exportable list, filtered in the shared grammar, in id order. */
export const { GET, POST, PUT, PATCH, DELETE } = resourceListRoute("orders");
