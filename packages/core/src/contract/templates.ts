import { z } from "zod";
import { EXPORT_FORMATS, LANGUAGES } from "./exports";
import { MAX_FIELD_NAME_LENGTH, MAX_REQUEST_FIELDS, MAX_REQUEST_PATH_LENGTH } from "./limits";
import { messages, typeName } from "./messages";

import { OPTION_COMPRESSIONS, OPTION_DECIMAL_SEPARATORS, OPTION_DELIMITERS } from "./options";

export const MAX_TEMPLATE_NAME_LENGTH = 255;
export const MAX_CRON_LENGTH = 120;

const text = (max: number) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? messages.required : messages.string) })
    .refine((v) => !v.includes("\u0000"), messages.nullCharacters)
    .max(max, messages.maxLength(max));

const choice = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (iss) => messages.choice(iss.input) });

/**
 * `options`: an object of the known keys only (an unknown key is a 400, so a typo is not silently dropped).
 * The zone is checked against the runtime's IANA database in core (templates/validate.ts).
 */
export const exportOptionsInput = z.strictObject(
  {
    delimiter: choice(OPTION_DELIMITERS).optional(),
    decimal_separator: choice(OPTION_DECIMAL_SEPARATORS).optional(),
    timezone: text(64).optional(),
    include_header: z.boolean({ error: () => "Must be a valid boolean." }).optional(),
    compression: choice(OPTION_COMPRESSIONS).optional(),
    /** Options left out take the export language's defaults (contract/options.ts), not the plain ones. */
    language_defaults: z.boolean({ error: () => "Must be a valid boolean." }).optional(),
  },
  {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? undefined
        : `Expected a dictionary of options but got type "${typeName(iss.input)}".`,
  },
);
export type ExportOptions = z.infer<typeof exportOptionsInput>;

export const scheduleInput = z.strictObject(
  { cron: text(MAX_CRON_LENGTH), timezone: text(64) },
  {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? undefined
        : `Expected {"cron", "timezone"} or null but got type "${typeName(iss.input)}".`,
  },
);
export type ScheduleInput = z.infer<typeof scheduleInput>;

/** The body of `POST /api/v1/export_templates/` and tRPC `templates.create`. */
export const createTemplateInput = z.object({
  name: text(MAX_TEMPLATE_NAME_LENGTH).min(1, "This field may not be blank."),
  request_path: text(MAX_REQUEST_PATH_LENGTH).min(1, "This field may not be blank."),
  request_fields: z
    .array(text(MAX_FIELD_NAME_LENGTH), { error: (iss) => messages.list(typeName(iss.input)) })
    .max(MAX_REQUEST_FIELDS, messages.maxItems(MAX_REQUEST_FIELDS))
    .default([]),
  format_type: choice(EXPORT_FORMATS).default("csv"),
  language: choice(LANGUAGES).default("en"),
  options: exportOptionsInput.default({}),
  schedule: scheduleInput.nullable().default(null),
  only_changed_since_last_run: z.boolean({ error: () => "Must be a valid boolean." }).default(false),
  paused: z.boolean({ error: () => "Must be a valid boolean." }).default(false),
});
export type CreateTemplateInput = z.input<typeof createTemplateInput>;

/** PATCH: any of the create's fields; those left out keep their values. */
export const updateTemplateInput = z.object({
  name: createTemplateInput.shape.name.optional(),
  request_path: createTemplateInput.shape.request_path.optional(),
  request_fields: createTemplateInput.shape.request_fields.unwrap().optional(),
  format_type: createTemplateInput.shape.format_type.unwrap().optional(),
  language: createTemplateInput.shape.language.unwrap().optional(),
  options: exportOptionsInput.optional(),
  schedule: scheduleInput.nullable().optional(),
  only_changed_since_last_run: createTemplateInput.shape.only_changed_since_last_run.unwrap().optional(),
  paused: createTemplateInput.shape.paused.unwrap().optional(),
});
export type UpdateTemplateInput = z.input<typeof updateTemplateInput>;

/** A saved export as both doors return it. */
export const templateSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  request_path: z.string(),
  request_fields: z.array(z.string()),
  format_type: z.enum(EXPORT_FORMATS),
  language: z.string(),
  options: z.record(z.string(), z.unknown()),
  schedule: z.object({ cron: z.string(), timezone: z.string() }).nullable(),
  only_changed_since_last_run: z.boolean(),
  paused: z.boolean(),
  owner: z.uuid(),
  owner_username: z.string(),
  next_run_at: z.string().nullable(),
  last_run_at: z.string().nullable(),
  created_date: z.string(),
  modified_date: z.string(),
});
export type TemplateDto = z.infer<typeof templateSchema>;
