import type { Language } from "./exports";

/** How a value is typed in a spreadsheet cell and in JSON. */
export type ValueType = "integer" | "decimal" | "text" | "boolean" | "datetime" | "json";

/** The filter grammar's value kinds and lookups (`field__gte`, `field__date__lt`, …). */
export type FilterKind = "integer" | "decimal" | "text" | "boolean" | "datetime" | "uuid" | "choice";

export const LOOKUPS = [
  "exact",
  "in",
  "gt",
  "gte",
  "lt",
  "lte",
  "icontains",
  "date",
  "date__gt",
  "date__gte",
  "date__lt",
  "date__lte",
] as const;
export type Lookup = (typeof LOOKUPS)[number];

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

/** What the dashboard derives a list's columns, filters and export dialog from (tRPC `resources.list`). */
export interface ResourceDescription {
  key: string;
  path: string;
  viewset: string;
  fields: FieldDescription[];
  defaultFields: string[];
  filters: FilterDescription[];
  filterFileKeys: string[];
}
