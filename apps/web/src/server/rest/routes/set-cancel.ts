import { cancelExport } from "@exports/core";
import { getStorage } from "../../storage";
import { authed } from "../http/handler";
import { json } from "../http/respond";
import { COMMON_RESPONSES, ref } from "../openapi/components";
import { givenOperation } from "../openapi/given";
import { route } from "../route";

const PATH = "/api/v1/exports/{id}/set_cancel/";

export const setCancelRoute = route(PATH, {
  POST: {
    access: "exports:write",
    /** The given cancel (SPEC §2.9). */
    handle: authed<"id">(async ({ db, actor, params }) =>
      json(await cancelExport(db, actor, params.id, { storage: getStorage() })),
    ),
    openapi: () => {
      const given = givenOperation(PATH, "post");
      return {
        operationId: "exports_set_cancel",
        ...given,
        responses: {
          ...given.responses,
          // The given 403 has no body; ours has the usual `{"detail": …}`.
          "403": ref("responses", "PermissionDenied"),
          "409": ref("responses", "Conflict"),
          ...COMMON_RESPONSES,
        },
      };
    },
  },
});
