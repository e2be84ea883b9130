import {
  auditFilterSpec,
  exportEventSchema,
  listAuditEvents,
  listExportEvents,
  paramsToRecord,
} from "@exports/core";
import { z } from "zod";
import { authed } from "../http/handler";
import { pageResponse } from "../http/pagination";
import { json } from "../http/respond";
import { COMMON_RESPONSES, jsonContent, ref } from "../openapi/components";
import { filterParameter, lookupsOf } from "../openapi/filters";
import { type Json, route } from "../route";

// Issue 17: the audit trail (core's exports/audit.ts): an export's events, and every export's for superusers.
const ONE = "/api/v1/exports/{id}/events/";
const ALL = "/api/v1/export_events/";

const components = () => {
  const { $schema: _, ...schema } = z.toJSONSchema(exportEventSchema, {
    target: "openapi-3.0",
    io: "output",
    unrepresentable: "any",
  });
  return {
    schemas: {
      ExportEvent: {
        ...schema,
        description:
          "One event of an export's trail. `type`: `created` (detail `{template}`), `started`, `completed` and `cancelled` (`{collected_count, fail_count}`), `failed` (the same and `{message}`), `retried` (`{page, collected_count, resumed}`: the page it went on from; `resumed: false` when it started over), `downloaded` (`{status, range, bytes, size, partial}`: the answer's status — 200, 206, or 302 to the object store — the `Range` header asked for, the bytes the answer carries, the file's size, whether it was the partial file). `actor` / `actor_username`: who did it; null for the workers' own steps and for a schedule's runs.",
      },
    },
  };
};

const eventsContent = jsonContent({ type: "array", items: ref("schemas", "ExportEvent") });

export const exportEventsRoute = route(ONE, {
  GET: {
    access: "exports:read",
    handle: authed<"id">(async ({ db, actor, params }) => json(await listExportEvents(db, actor, params.id))),
    openapi: () => ({
      operationId: "exports_events",
      summary: "An export's audit trail",
      description:
        "Everything that happened to the export, oldest first: created (by whom, from which template), started, completed, failed (its message), cancelled (by whom), retried (by whom), downloaded (by whom, which bytes). Visible as the export is: its owner or a superuser (anyone else: 404).",
      tags: ["Audit"],
      parameters: [ref("parameters", "id_path")],
      responses: {
        "200": { description: "The export's events.", content: eventsContent },
        "404": ref("responses", "404"),
        ...COMMON_RESPONSES,
      },
    }),
    components,
  },
});

/** Every lookup of every filter of the list's spec. */
const filterParameters = (): Json[] =>
  Object.entries(auditFilterSpec).flatMap(([field, filter]) =>
    lookupsOf(filter).map((lookup) => filterParameter(field, filter, lookup)),
  );

export const auditEventsRoute = route(ALL, {
  GET: {
    access: "exports:read",
    handle: authed(async ({ db, actor, url }) =>
      pageResponse(url, await listAuditEvents(db, actor, paramsToRecord(url.searchParams))),
    ),
    openapi: () => ({
      operationId: "export_events_list",
      summary: "Every export's events (superusers)",
      description:
        "The audit trail across users, newest first (`ordering=created_date`: oldest first), paginated as the exports list: e.g. `?type=downloaded&user=<id>&created_date__gte=2025-01-01` lists who downloaded what. `user` is the actor. Unknown parameters are a 400. Superusers only (others: 403).",
      tags: ["Audit"],
      parameters: [
        ...filterParameters(),
        ref("parameters", "limit"),
        ref("parameters", "page"),
        {
          name: "ordering",
          in: "query",
          required: false,
          description: "`-created_date` (default: newest first) or `created_date`.",
          schema: { type: "string", enum: ["-created_date", "created_date"], default: "-created_date" },
        },
      ],
      responses: {
        "200": {
          description: "A page of events.",
          headers: { "X-Total-Count": ref("headers", "X-Total-Count"), Link: ref("headers", "Link") },
          content: eventsContent,
        },
        "400": ref("responses", "BadRequest"),
        "403": ref("responses", "PermissionDenied"),
        ...COMMON_RESPONSES,
      },
    }),
  },
});
