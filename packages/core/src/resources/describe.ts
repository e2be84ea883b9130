import { DEFAULT_LOOKUPS, type FilterKind, type Lookup } from "../filters/grammar";
import { RESOURCES } from "./registry";
import type { Language, Resource, ValueType } from "./types";

/** A field of an exportable resource as a client sees it: no columns, no tables. */
export interface FieldDescription {
  name: string;
  labels: Record<Language, string>;
  type: ValueType;
}

/** A filter of a resource list, with the lookups it accepts (`price__gte`, `name__icontains`, …). */
export interface FilterDescription {
  name: string;
  kind: FilterKind;
  lookups: Lookup[];
  choices: string[] | null;
}

export interface ResourceDescription {
  key: string;
  path: string;
  viewset: string;
  fields: FieldDescription[];
  defaultFields: string[];
  filters: FilterDescription[];
  filterFileKeys: string[];
}

/** One resource's public description: what the dashboard derives its columns, filters and export dialog from. */
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
