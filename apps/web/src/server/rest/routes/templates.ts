import {
  createTemplate,
  createTemplateInput,
  deleteTemplate,
  findTemplate,
  listTemplates,
  paramsToRecord,
  runTemplate,
  templateSchema,
  updateTemplate,
  updateTemplateInput,
} from "@exports/core";
import { z } from "zod";
import { readJsonObject } from "../http/body";
import { authed } from "../http/handler";
import { pageResponse } from "../http/pagination";
import { json } from "../http/respond";
import { COMMON_RESPONSES, jsonContent, ref } from "../openapi/components";
import { type Json, route } from "../route";

// Issue 17: saved exports (templates), run by hand or on a schedule. Visibility as exports: the owner or a
// superuser; anyone else's is a 404.
const LIST = "/api/v1/export_templates/";
const ONE = "/api/v1/export_templates/{id}/";
const RUN = "/api/v1/export_templates/{id}/run/";

const schemaOf = (schema: z.ZodType, io: "input" | "output", description: string): Json => {
  const { $schema: _, ...s } = z.toJSONSchema(schema, { target: "openapi-3.0", io, unrepresentable: "any" });
  return { ...s, description };
};

const components = () => ({
  schemas: {
    ExportTemplate: schemaOf(
      templateSchema,
      "output",
      "A saved export: what to export, how, and when. `next_run_at` is the next slot of the schedule (null without a schedule or while paused); `last_run_at` when a run last made an export.",
    ),
    ExportTemplateCreate: schemaOf(
      createTemplateInput,
      "input",
      "A template to save. `request_path`, `request_fields`, `format_type` and `language` are validated as an export's create; `schedule.cron` is a 5-field cron expression read in `schedule.timezone` (IANA); `options` keys: `delimiter` (`,` `;` tab), `decimal_separator` (`.` `,`), `timezone` (IANA), `include_header`, `compression` (`none`, `gzip`) — stored, not applied by the engine yet. `only_changed_since_last_run`: each run exports the rows whose `modified_date` is at or after the previous successful run's point in time (the first run: everything).",
    ),
    ExportTemplatePatch: schemaOf(
      updateTemplateInput,
      "input",
      "Any of the create's fields; the rest keep their values. `paused: true` stops the schedule, `false` resumes it at its next slot.",
    ),
  },
});

const idParam = {
  name: "id",
  in: "path",
  required: true,
  description: "The template's id: a UUID (anything else is a 404).",
  schema: { type: "string", format: "uuid" },
};
const templateResponse = (description: string) => ({
  description,
  content: jsonContent(ref("schemas", "ExportTemplate")),
});
const notFound = { "404": ref("responses", "404") };
const op = (operationId: string, summary: string, extra: Json): Json => ({
  operationId,
  summary,
  tags: ["Templates"],
  ...extra,
});
const body = (schema: string) => ({
  required: true,
  content: { "application/json": { schema: ref("schemas", schema) } },
});

export const templatesRoute = route(LIST, {
  GET: {
    access: "exports:read",
    handle: authed(async ({ db, actor, url }) =>
      pageResponse(url, await listTemplates(db, actor, paramsToRecord(url.searchParams))),
    ),
    openapi: () =>
      op("export_templates_list", "List saved exports", {
        description:
          "The caller's templates (a superuser: everyone's), newest first, paginated as the exports list.",
        parameters: [ref("parameters", "limit"), ref("parameters", "page")],
        responses: {
          "200": {
            description: "A page of templates.",
            headers: { "X-Total-Count": ref("headers", "X-Total-Count"), Link: ref("headers", "Link") },
            content: jsonContent({ type: "array", items: ref("schemas", "ExportTemplate") }),
          },
          "400": ref("responses", "BadRequest"),
          ...COMMON_RESPONSES,
        },
      }),
    components,
  },
  POST: {
    access: "exports:write",
    handle: authed(async ({ db, actor, req }) =>
      json(await createTemplate(db, actor, await readJsonObject(req)), 201),
    ),
    openapi: () =>
      op("export_templates_create", "Save an export as a template", {
        description: "Every problem is reported at once in one 400, as an export's create reports them.",
        requestBody: body("ExportTemplateCreate"),
        responses: {
          "201": templateResponse("The template, saved."),
          "400": ref("responses", "BadRequest"),
          ...COMMON_RESPONSES,
          "413": ref("responses", "PayloadTooLarge"),
          "415": ref("responses", "UnsupportedMediaType"),
        },
      }),
  },
});

export const templateRoute = route(ONE, {
  GET: {
    access: "exports:read",
    handle: authed<"id">(async ({ db, actor, params }) => json(await findTemplate(db, actor, params.id))),
    openapi: () =>
      op("export_templates_retrieve", "Retrieve a saved export", {
        parameters: [idParam],
        responses: { "200": templateResponse("The template."), ...notFound, ...COMMON_RESPONSES },
      }),
  },
  PATCH: {
    access: "exports:write",
    handle: authed<"id">(async ({ db, actor, params, req }) =>
      json(await updateTemplate(db, actor, params.id, await readJsonObject(req))),
    ),
    openapi: () =>
      op("export_templates_partial_update", "Change a saved export (also pause or resume its schedule)", {
        parameters: [idParam],
        requestBody: body("ExportTemplatePatch"),
        responses: {
          "200": templateResponse("The template, changed."),
          "400": ref("responses", "BadRequest"),
          ...notFound,
          ...COMMON_RESPONSES,
          "413": ref("responses", "PayloadTooLarge"),
          "415": ref("responses", "UnsupportedMediaType"),
        },
      }),
  },
  DELETE: {
    access: "exports:write",
    handle: authed<"id">(async ({ db, actor, params }) => {
      await deleteTemplate(db, actor, params.id);
      return new Response(null, { status: 204 });
    }),
    openapi: () =>
      op("export_templates_destroy", "Delete a saved export", {
        description: "Its exports stay; their `template` becomes null.",
        parameters: [idParam],
        responses: { "204": { description: "Deleted." }, ...notFound, ...COMMON_RESPONSES },
      }),
  },
});

export const templateRunRoute = route(RUN, {
  POST: {
    access: "exports:write",
    handle: authed<"id">(async ({ db, actor, params }) => {
      const run = await runTemplate(db, actor, params.id);
      return json(run.export, run.outcome === "created" ? 201 : 200);
    }),
    openapi: () =>
      op("export_templates_run", "Run a saved export now", {
        description:
          "Creates an export of the template, owned by the template's owner (its `template` names it), under the same limits as a create: at most MAX_ACTIVE_EXPORTS_PER_USER unfinished exports (429), and a run identical to one still in flight answers that one with 200.",
        parameters: [idParam],
        responses: {
          "201": { description: "The new export.", content: jsonContent(ref("schemas", "Export")) },
          "200": {
            description: "An identical run is still in flight: that export.",
            content: jsonContent(ref("schemas", "Export")),
          },
          ...notFound,
          ...COMMON_RESPONSES,
          "429": ref("responses", "TooManyRequests"),
        },
      }),
  },
});
