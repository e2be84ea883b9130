import { cancelExport } from "@exports/core";
import { authed } from "~/server/rest/handler";
import { json, methodsNotAllowed } from "~/server/rest/respond";
import { getStorage } from "~/server/storage";

export const dynamic = "force-dynamic";

/** POST /api/v1/exports/{id}/set_cancel/ — the given cancel (SPEC §2.9). */
export const POST = authed<{ id: string }>(async ({ db, actor, params }) =>
  json(await cancelExport(db, actor, params.id, { storage: getStorage() })),
);

const { PUT, PATCH, DELETE, GET } = methodsNotAllowed(["POST"]);

export { DELETE, GET, PATCH, PUT };
