import { findExportJsonForToken } from "@exports/core";
import { tokenAuthed } from "../http/handler";
import { jsonTextWithEtag } from "../http/respond";
import { COMMON_RESPONSES, ref } from "../openapi/components";
import { givenOperation } from "../openapi/given";
import { route } from "../route";

const PATH = "/api/v1/exports/{id}/";

export const exportRoute = route(PATH, {
  GET: {
    /** The given retrieve (SPEC §2.1, 2.8), with a strong ETag (`If-None-Match` → 304). */
    handle: tokenAuthed<"id">(async ({ db, authorization, need, params, req }) =>
      jsonTextWithEtag(req, (await findExportJsonForToken(db, authorization, params.id, need)).json),
    ),
    access: "exports:read",
    openapi: () => {
      const given = givenOperation(PATH, "get");
      return {
        operationId: "exports_retrieve",
        ...given,
        parameters: [...given.parameters, ref("parameters", "If-None-Match")],
        responses: {
          ...given.responses,
          "200": { ...given.responses["200"], headers: { ETag: ref("headers", "ETag") } },
          "304": ref("responses", "NotModified"),
          ...COMMON_RESPONSES,
        },
      };
    },
  },
});
