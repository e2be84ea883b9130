import type { FilterSpec } from "../filters/grammar";
import type { Resource } from "./types";

/** Builds a resource's filter spec from its fields, so each field's filter is declared once. */
export function defineResource(resource: Omit<Resource, "filterSpec">): Resource {
  const filterSpec: Record<string, FilterSpec[string]> = {};
  for (const field of resource.fields) {
    if (!field.filter) continue;
    filterSpec[field.name] = { column: field.column, ...field.filter };
  }
  for (const name of [...resource.defaultFields, ...resource.filterFileKeys]) {
    if (!resource.fields.some((f) => f.name === name)) {
      throw new Error(`resource ${resource.key}: unknown field ${name}`);
    }
  }
  return { ...resource, filterSpec };
}
