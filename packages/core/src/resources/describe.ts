import type { ResourceDescription } from "../contract";
import { DEFAULT_LOOKUPS } from "../filters/grammar";
import { RESOURCES } from "./registry";
import type { Resource } from "./types";

/** What the dashboard derives a list's columns, filters and export dialog from. */
export function describeResource(resource: Resource): ResourceDescription {
  return {
    key: resource.key,
    path: resource.path,
    viewset: resource.viewset,
    fields: resource.fields.map((f) => ({ name: f.name, labels: { ...f.labels }, type: f.type })),
    defaultFields: [...resource.defaultFields],
    filters: resource.fields.flatMap((f) =>
      f.filter
        ? [
            {
              name: f.name,
              kind: f.filter.kind,
              lookups: [...(f.filter.lookups ?? DEFAULT_LOOKUPS[f.filter.kind])],
              choices: f.filter.choices ? [...f.filter.choices] : null,
            },
          ]
        : [],
    ),
    filterFileKeys: [...resource.filterFileKeys],
  };
}

/** Every exportable resource, in registry order. */
export function describeResources(): ResourceDescription[] {
  return RESOURCES.map(describeResource);
}
