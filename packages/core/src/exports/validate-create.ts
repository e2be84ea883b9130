import { createExportInput } from "../contract";
import { DomainError, FieldErrorCollector } from "../errors";
import { resolveRequestPath } from "../resources/request-path";
import type { Resource } from "../resources/types";
import { zodFieldErrors } from "../validation";
import { checkFilterFile, decodeFilterFile, type FilterFile, type ParsedFilterFile } from "./filter-file";
import { checkOptions, effectiveOptions } from "./options";

/**
 * Every problem of a create in one 400 (body shape, request path, fields, filter file): each check runs
 * whatever the others found. Fields and the file's key column belong to the path's list, so while the path
 * names none its error alone speaks for them.
 */
export function validateCreate(input: unknown, filterFile: FilterFile | undefined, maxIdentifiers: number) {
  const errors = new FieldErrorCollector();
  const parsed = createExportInput.safeParse(input);
  if (!parsed.success) {
    for (const [field, list] of Object.entries(zodFieldErrors(parsed.error)))
      for (const m of list) errors.add(field, m);
  }
  const raw = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  const resource = errors.errors.request_path ? undefined : resolveResource(raw.request_path, errors);
  if (resource) checkFieldNames(resource, raw.request_fields, errors);
  const filter = filterFile ? checkUpload(filterFile, resource, maxIdentifiers, errors) : undefined;
  const options = createExportInput.shape.options.safeParse(raw.options);
  const format = createExportInput.shape.format_type.safeParse(raw.format_type);
  if (options.success && options.data)
    checkOptions(options.data, format.data, raw.language as string | undefined, errors);
  errors.throwIfAny();
  if (!parsed.success || !resource) throw new Error("validated input without a resource");
  if (filterFile && !filter) throw new Error("validated input without its filter file");
  const effective = effectiveOptions(parsed.data.options, parsed.data.language);
  return { data: parsed.data, resource, filter, options: effective };
}

/** The list a request path names, or undefined with its errors collected. */
function resolveResource(requestPath: unknown, errors: FieldErrorCollector): Resource | undefined {
  if (typeof requestPath !== "string") return undefined;
  try {
    return resolveRequestPath(requestPath).resource;
  } catch (err) {
    if (!(err instanceof DomainError && err.fields)) throw err;
    for (const m of err.fields.request_path ?? []) errors.add("request_path", m);
    return undefined;
  }
}

/** Names are checked whenever the list's shape (the schema's) is right. */
function checkFieldNames(resource: Resource, requestFields: unknown, errors: FieldErrorCollector) {
  const fields = createExportInput.shape.request_fields.safeParse(requestFields);
  if (!fields.success) return;
  const names = new Set(resource.fields.map((f) => f.name));
  const seen = new Set<string>();
  for (const field of fields.data) {
    if (!names.has(field)) {
      errors.add(
        "request_fields",
        `Unknown field "${field}". Fields of ${resource.path}: ${[...names].join(", ")}.`,
      );
    } else if (seen.has(field)) errors.add("request_fields", `Field "${field}" is requested more than once.`);
    seen.add(field);
  }
}

/** The file read by the resource's key fields; without a resource, at least its size and encoding count. */
function checkUpload(
  file: FilterFile,
  resource: Resource | undefined,
  maxIdentifiers: number,
  errors: FieldErrorCollector,
): ParsedFilterFile | undefined {
  if (!resource) {
    const decoded = decodeFilterFile(file.content);
    if (!decoded.ok) for (const m of decoded.errors) errors.add("filter_file", m);
    return undefined;
  }
  const check = checkFilterFile(resource, file.content, { maxIdentifiers });
  if (check.ok) return check.value;
  for (const m of check.errors) errors.add("filter_file", m);
  return undefined;
}
