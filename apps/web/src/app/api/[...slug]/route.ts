import { notFound } from "@exports/core";
import { errorResponse } from "~/server/rest/respond";

export const dynamic = "force-dynamic";

/** Any other /api path: a JSON 404, never Next's HTML page. */
const handler = async () => errorResponse(notFound());

export { handler as DELETE, handler as GET, handler as PATCH, handler as POST, handler as PUT };
