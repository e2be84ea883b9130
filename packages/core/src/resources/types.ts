import type { AnyPgColumn, PgTable } from "drizzle-orm/pg-core";
import type { FilterKind, Language, Lookup, ValueType } from "../contract";
import type { FilterSpec } from "../filters/grammar";

export interface ResourceField {
  name: string;
  labels: Record<Language, string>;
  column: AnyPgColumn;
  type: ValueType;
  /** The filter kind and lookups of this field; absent = not filterable. */
  filter?: { kind: FilterKind; lookups?: readonly Lookup[]; choices?: readonly string[] };
}

/** An exportable back-office list: its REST path, fields, default columns and filters. */
export interface Resource {
  key: string;
  /** The list's API path, with its trailing slash: `/api/v1/products/`. */
  path: string;
  viewset: string;
  table: PgTable;
  idColumn: AnyPgColumn;
  fields: readonly ResourceField[];
  defaultFields: readonly string[];
  filterSpec: FilterSpec;
  /** Fields a filter file may name as its key column; the first is the default for a bare list. */
  filterFileKeys: readonly string[];
}
