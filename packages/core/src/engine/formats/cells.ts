import type { ResourceField, ValueType } from "../../resources/types";
import { neutralize } from "./neutralize";

/** A value as the files carry it: typed for XLSX, text for CSV, API-shaped for JSON. */
export type Cell = string | number | boolean | Date | null;

function isoString(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

/** The JSON (and API) form of a value; text neutralised. */
export function jsonValue(type: ValueType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "datetime":
      return isoString(value);
    case "text":
      return neutralize(String(value));
    default:
      return value;
  }
}

/** The text form of a value, as a CSV cell shows it. */
export function textValue(type: ValueType, value: unknown): string {
  if (value === null || value === undefined) return "";
  switch (type) {
    case "datetime":
      return isoString(value);
    case "json":
      return neutralize(JSON.stringify(value));
    case "text":
      return neutralize(String(value));
    case "boolean":
      return value ? "true" : "false";
    default:
      return String(value);
  }
}

/** The typed form of a value, as an XLSX cell holds it. */
export function typedValue(type: ValueType, value: unknown): Cell {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "integer":
      return Number(value);
    case "decimal":
      return Number(value);
    case "boolean":
      return Boolean(value);
    case "datetime":
      return value instanceof Date ? value : new Date(String(value));
    case "json":
      return neutralize(JSON.stringify(value));
    default:
      return neutralize(String(value));
  }
}

export function headerLabels(fields: readonly ResourceField[], language: string): string[] {
  return fields.map((f) => f.labels[language as keyof ResourceField["labels"]] ?? f.labels.en);
}
