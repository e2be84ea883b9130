import { getExport } from "@exports/core";
import { authed } from "~/server/rest/handler";
import { json, methodsNotAllowed } from "~/server/rest/respond";

export const dynamic = "force-dynamic";

/** GET /api/v1/exports/{id}/ — the given retrieve (SPEC §2.1, 2.8). */
export const GET = authed<{ id: string }>(async ({ db, actor, params }) =>
  json(await getExport(db, actor, params.id)),
);

const { PUT, PATCH, DELETE, POST } = methodsNotAllowed(["GET"]);

export { DELETE, PATCH, POST, PUT };
