import { z } from "zod";
import { EXPORT_FORMATS, EXPORT_STATUSES, LANGUAGES } from "./exports";
import {
  MAX_ACTION_NAME_LENGTH,
  MAX_FIELD_NAME_LENGTH,
  MAX_REQUEST_FIELDS,
  MAX_REQUEST_PATH_LENGTH,
} from "./limits";
import { messages, typeName } from "./messages";
import { exportOptionsSchema } from "./options";
import { exportOptionsInput } from "./templates";

const requiredString = (max?: number) => {
  const s = z
    .string({ error: (iss) => (iss.input === undefined ? messages.required : messages.string) })
    // PostgreSQL cannot store a NUL character in text: refuse it here (DRF's message), not with a 500.
    .refine((v) => !v.includes("\u0000"), messages.nullCharacters);
  return max ? s.max(max, messages.maxLength(max)) : s;
};

/** Input of `POST /api/v1/exports/` and of tRPC `exports.create`. */
export const createExportInput = z.object({
  request_path: requiredString(MAX_REQUEST_PATH_LENGTH).min(1, "This field may not be blank."),
  request_fields: z
    .array(requiredString(MAX_FIELD_NAME_LENGTH), { error: (iss) => messages.list(typeName(iss.input)) })
    .max(MAX_REQUEST_FIELDS, messages.maxItems(MAX_REQUEST_FIELDS))
    .default([]),
  format_type: z.enum(EXPORT_FORMATS, { error: (iss) => messages.choice(iss.input) }).default("csv"),
  language: z.enum(LANGUAGES, { error: (iss) => messages.choice(iss.input) }).default("en"),
  action_name: requiredString(MAX_ACTION_NAME_LENGTH).nullish(),
  /** Issue 17: delimiter, decimal separator, time zone, header, compression (exports/options.ts). */
  options: exportOptionsInput.optional(),
});
export type CreateExportInput = z.input<typeof createExportInput>;

/** Query of the exports list and of resource lists: flat `param → value` (as a query string carries). */
export const listQueryInput = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
  .default({});
export type ListQueryInput = z.input<typeof listQueryInput>;

export const exportIdInput = z.object({ id: z.string().max(100) });

/** The given contract's Export record (SPEC §1), as both doors return it. */
export const exportSchema = z.object({
  id: z.uuid(),
  action_name: z.string().max(MAX_ACTION_NAME_LENGTH).nullable(),
  collected_count: z.number().int(),
  error_message: z.string().nullable(),
  fail_count: z.number().int(),
  filter_file: z.string().nullable(),
  format_type: z.enum(EXPORT_FORMATS),
  language: z.string().max(8),
  last_instance_id: z.number().int(),
  page: z.number().int(),
  request_fields: z.array(z.string()),
  request_path: z.string(),
  requested_by: z.uuid(),
  result_file: z.string().max(512).nullable(),
  total_count: z.number().int(),
  status: z.enum(EXPORT_STATUSES),
  uploaded_parts: z.array(z.string()),
  viewset: z.string().max(255).nullable(),
  created_date: z.iso.datetime({ offset: true }),
  modified_date: z.iso.datetime({ offset: true }),
  /** Ours (issue 17), after the given fields: the saved export this one was made from, if any. */
  template: z.uuid().nullable(),
  /** Ours (issue 17): the options the export is written with, every one (defaults filled in). */
  options: exportOptionsSchema,
});
export type ExportDto = z.infer<typeof exportSchema>;
