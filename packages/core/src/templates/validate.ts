import { createTemplateInput, exportOptionsInput, scheduleInput } from "../contract";
import { DomainError, FieldErrorCollector } from "../errors";
import { checkOptions } from "../exports/options";
import { validateCreate } from "../exports/validate-create";
import type { Resource } from "../resources/types";
import { zodFieldErrors } from "../validation";
import { scheduleErrors } from "./schedule";

/** The export's own fields: validateCreate speaks for them, so their messages are not repeated. */
const EXPORT_FIELDS = new Set(["request_path", "request_fields", "format_type", "language"]);

/** The filter an incremental run adds to the template's path (templates/run.ts). */
export const SINCE_PARAM = "modified_date__gte";

/**
 * A whole template (a create, or a PATCH merged onto the stored one): every problem in one 400, the export
 * fields by the export create's own validation, then the schedule (croner + the IANA zone), the options and
 * the incremental flag.
 */
export function validateTemplate(input: unknown) {
  const errors = new FieldErrorCollector();
  const raw = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  const parsed = createTemplateInput.safeParse(input);
  if (!parsed.success) {
    for (const [field, list] of Object.entries(zodFieldErrors(parsed.error)))
      if (!EXPORT_FIELDS.has(field)) for (const m of list) errors.add(field, m);
  }
  let resource: Resource | undefined;
  try {
    const exportFields = Object.fromEntries([...EXPORT_FIELDS].map((f) => [f, raw[f]]));
    resource = validateCreate(exportFields, undefined, 0).resource;
  } catch (err) {
    if (!(err instanceof DomainError && err.fields)) throw err;
    for (const [field, list] of Object.entries(err.fields)) for (const m of list) errors.add(field, m);
  }
  // Each check runs whenever its own field is well-formed, whatever the others are.
  const schedule = scheduleInput.safeParse(raw.schedule);
  if (schedule.success) {
    const found = scheduleErrors(schedule.data);
    for (const m of [...found.cron, ...found.timezone]) errors.add("schedule", m);
  }
  const options = exportOptionsInput.safeParse(raw.options ?? {});
  const format = createTemplateInput.shape.format_type.safeParse(raw.format_type);
  if (options.success) checkOptions(options.data, format.data, raw.language as string | undefined, errors);
  if (raw.only_changed_since_last_run === true && resource) {
    checkIncremental(resource, String(raw.request_path), errors);
  }
  errors.throwIfAny();
  if (!parsed.success || !resource) throw new Error("validated template without a resource");
  return { data: parsed.data, resource };
}

/** Incremental runs filter on the list's `modified_date`; the path must leave that filter to them. */
function checkIncremental(resource: Resource, requestPath: string, errors: FieldErrorCollector) {
  const modified = resource.fields.find((f) => f.name === "modified_date" && f.filter?.kind === "datetime");
  if (!modified) {
    errors.add(
      "only_changed_since_last_run",
      `${resource.path} has no modified_date to tell changed rows by.`,
    );
    return;
  }
  const query = requestPath.includes("?") ? requestPath.slice(requestPath.indexOf("?") + 1) : "";
  if (new URLSearchParams(query).has(SINCE_PARAM)) {
    errors.add(
      "request_path",
      `${SINCE_PARAM} is set by only_changed_since_last_run on each run; leave it out of the path.`,
    );
  }
}
