import { env, exportLimitsFromEnv, retryExport } from "@exports/core";
import { getStorage } from "../../storage";
import { authed } from "../http/handler";
import { json } from "../http/respond";
import { COMMON_RESPONSES, jsonContent, ref } from "../openapi/components";
import { route } from "../route";

// Issue 17: a failed export goes on from its last committed page (core's exports/retry.ts).
const PATH = "/api/v1/exports/{id}/retry/";

export const retryRoute = route(PATH, {
  POST: {
    access: "exports:write",
    handle: authed<"id">(async ({ db, actor, params }) =>
      json(
        await retryExport(db, actor, params.id, {
          storage: getStorage(),
          limits: exportLimitsFromEnv(env()),
        }),
      ),
    ),
    openapi: () => ({
      operationId: "exports_retry",
      summary: "Retry a failed export",
      description:
        "A `failed` export goes on from its last committed page, under the same id: what it collected stays (`collected_count`, `uploaded_parts`, the pages), `error_message` is cleared and its attempts start over; it is `waiting_next_page` again (or `waiting` if it failed at its start, `preparing_file_creation` if every page was read). Its point in time stays, so the file is what the first run would have made. An export whose pages were lost (it failed before retries kept them) starts over from its first page. Its owner or a superuser (anyone else: 404); any other status, or an expired export: 409. It counts as an unfinished export of its owner again: past MAX_ACTIVE_EXPORTS_PER_USER, 429.",
      tags: ["Exports"],
      parameters: [ref("parameters", "id_path")],
      responses: {
        "200": { description: "The export, runnable again.", content: jsonContent(ref("schemas", "Export")) },
        "404": ref("responses", "404"),
        "409": ref("responses", "Conflict"),
        "429": ref("responses", "TooManyRequests"),
        ...COMMON_RESPONSES,
      },
    }),
  },
});
