import { and, eq, gt, gte, ilike, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { type FilterKind, LOOKUPS, type Lookup } from "../contract";
import { FieldErrorCollector } from "../errors";
import {
  parseBoolean,
  parseDate,
  parseDateTime,
  parseDecimal,
  parseInteger,
  parseText,
  parseUuid,
  ValueError,
} from "./values";

// The one filter grammar of the exports list, every resource list and so every export's `request_path`:
// `field`, `field__in=a,b`, `field__gt|gte|lt|lte`, `field__icontains`, `field__date[__gt|…]` (UTC days).
export interface FilterField {
  column: AnyPgColumn;
  kind: FilterKind;
  /** Defaults to the usual lookups of the kind (DEFAULT_LOOKUPS). */
  lookups?: readonly Lookup[];
  choices?: readonly string[];
  /** A value that stands for several choices, e.g. `pending` for the not-yet-finished statuses. */
  aliases?: Readonly<Record<string, readonly string[]>>;
}

export type FilterSpec = Readonly<Record<string, FilterField>>;

export const DEFAULT_LOOKUPS: Record<FilterKind, readonly Lookup[]> = {
  integer: ["exact", "in", "gt", "gte", "lt", "lte"],
  decimal: ["exact", "in", "gt", "gte", "lt", "lte"],
  text: ["exact", "in", "icontains"],
  boolean: ["exact"],
  datetime: ["exact", "gt", "gte", "lt", "lte", "date", "date__gt", "date__gte", "date__lt", "date__lte"],
  uuid: ["exact", "in"],
  choice: ["exact", "in"],
};

export type QueryParams = Readonly<Record<string, string>>;

export interface ParseOptions {
  /** Parameters that are not filters (pagination, ordering): left to the caller. */
  reserved?: ReadonlySet<string>;
  /** What an unknown parameter does: ignored (the given exports list) or a 400 (resource lists). */
  unknown: "ignore" | "error";
}

export interface ParsedFilter {
  param: string;
  field: string;
  lookup: Lookup;
  value: string;
}

/** Splits `created_date__date__gte` into field `created_date` and lookup `date__gte`. */
export function splitParam(param: string, spec: FilterSpec): { field: string; lookup: Lookup } | null {
  for (const lookup of LOOKUPS) {
    if (lookup === "exact") continue;
    const suffix = `__${lookup}`;
    if (param.endsWith(suffix)) {
      const field = param.slice(0, -suffix.length);
      if (Object.hasOwn(spec, field)) return { field, lookup };
    }
  }
  return Object.hasOwn(spec, param) ? { field: param, lookup: "exact" } : null;
}

// Computed by PostgreSQL: the day after 9999-12-31 has no ISO 8601 text that PostgreSQL reads back.
const nextDay = (d: Date) => sql`(${d.toISOString()}::timestamptz + interval '1 day')`;

function parseScalar(field: FilterField, raw: string): unknown {
  switch (field.kind) {
    case "integer":
      return parseInteger(raw);
    case "decimal":
      return parseDecimal(raw);
    case "boolean":
      return parseBoolean(raw);
    case "datetime":
      return parseDateTime(raw);
    case "uuid":
      return parseUuid(raw);
    case "text":
      return parseText(raw);
    case "choice": {
      const choices = field.choices ?? [];
      if (choices.includes(raw)) return [raw];
      const alias = field.aliases && Object.hasOwn(field.aliases, raw) ? field.aliases[raw] : undefined;
      if (alias) return alias;
      throw new ValueError(`Select a valid choice. ${raw} is not one of the available choices.`);
    }
  }
}

function escapeLike(text: string) {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function compile(field: FilterField, lookup: Lookup, raw: string): SQL | undefined {
  const col = field.column;
  if (lookup === "in") {
    const parts = raw
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "");
    if (parts.length === 0) return undefined;
    const values = parts.flatMap((p) => {
      const v = parseScalar(field, p);
      return field.kind === "choice" ? (v as string[]) : [v];
    });
    return inArray(col, [...new Set(values)]);
  }
  if (lookup.startsWith("date")) {
    const day = parseDate(raw);
    switch (lookup) {
      case "date":
        return and(gte(col, day), lt(col, nextDay(day)));
      case "date__gt":
        return gte(col, nextDay(day));
      case "date__gte":
        return gte(col, day);
      case "date__lt":
        return lt(col, day);
      case "date__lte":
        return lt(col, nextDay(day));
    }
  }
  if (lookup === "icontains") return ilike(col, `%${escapeLike(parseText(raw))}%`);
  const value = parseScalar(field, raw);
  switch (lookup) {
    case "exact":
      return field.kind === "choice" ? inArray(col, value as string[]) : eq(col, value);
    case "gt":
      return gt(col, value);
    case "gte":
      return gte(col, value);
    case "lt":
      return lt(col, value);
    case "lte":
      return lte(col, value);
  }
  return undefined;
}

export interface CompiledFilters {
  where: SQL | undefined;
  filters: ParsedFilter[];
}

/** Query parameters → SQL; every bad parameter at once, under its name. An empty value is no filter. */
export function compileFilters(
  spec: FilterSpec,
  params: QueryParams,
  options: ParseOptions,
): CompiledFilters {
  const errors = new FieldErrorCollector();
  const conditions: SQL[] = [];
  const filters: ParsedFilter[] = [];
  for (const [param, value] of Object.entries(params)) {
    if (options.reserved?.has(param)) continue;
    const split = splitParam(param, spec);
    const field = split ? spec[split.field] : undefined;
    if (!split || !field || !(field.lookups ?? DEFAULT_LOOKUPS[field.kind]).includes(split.lookup)) {
      if (options.unknown === "error") errors.add(param, "Unknown filter.");
      continue;
    }
    if (value.trim() === "") continue;
    try {
      const condition = compile(field, split.lookup, value);
      if (condition) {
        conditions.push(condition);
        filters.push({ param, field: split.field, lookup: split.lookup, value });
      }
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      errors.add(param, err.message);
    }
  }
  errors.throwIfAny();
  return { where: conditions.length ? and(...conditions) : undefined, filters };
}

/** URLSearchParams → a flat record; a repeated parameter keeps its last value (as Django's QueryDict.get). */
export function paramsToRecord(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  // defineProperty, not assignment: a parameter named `__proto__` is a parameter, not the prototype.
  for (const [k, v] of params)
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}
