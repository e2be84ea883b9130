import type { Resource, ResourceField } from "./types";

export type RecordValue = string | number | boolean | null | Record<string, unknown> | unknown[];

/** A database value as the API shows it: date-times in ISO 8601 (UTC), decimals as strings. */
export function toApiValue(value: unknown): RecordValue {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  return value as RecordValue;
}

export function fieldsByName(resource: Resource, names: readonly string[]): ResourceField[] {
  return names.map((name) => {
    const field = resource.fields.find((f) => f.name === name);
    if (!field) throw new Error(`resource ${resource.key} has no field ${name}`);
    return field;
  });
}

/** Drizzle select map keyed by API field name. */
export function selection(fields: readonly ResourceField[]) {
  return Object.fromEntries(fields.map((f) => [f.name, f.column]));
}

export function toApiRecord(row: Record<string, unknown>, fields: readonly ResourceField[]) {
  const out: Record<string, RecordValue> = {};
  for (const f of fields) out[f.name] = toApiValue(row[f.name]);
  return out;
}
