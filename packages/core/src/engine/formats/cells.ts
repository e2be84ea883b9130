import type { ResourceField, ValueType } from "../../resources/types";

export function headerLabels(fields: readonly ResourceField[], language: string): string[] {
  return fields.map((f) => f.labels[language as keyof ResourceField["labels"]] ?? f.labels.en);
}

/**
 * How a date-time reaches a format's row encoder: ISO 8601 text in UTC with milliseconds (CSV, JSON, as the
 * API shows it), or an Excel serial day number (XLSX, a typed date cell).
 */
export type DatetimeForm = "iso" | "serial";

/** Days between Excel's epoch (1899-12-30) and the Unix epoch. */
export const EXCEL_EPOCH_DAYS = 25569;

/**
 * The raw form of a value, as PostgreSQL's COPY prints it (the form every row encoder reads): integers and
 * decimals as their digits, booleans as `t`/`f`, text as it is, JSON as JSON text, date-times as ISO 8601 or
 * an Excel serial. Used for rows read as JS values (the row-by-row path); throws for a value that cannot be
 * serialised (the row is then skipped and counted).
 */
export function rawValue(type: ValueType, value: unknown, datetime: DatetimeForm): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "boolean":
      return value ? "t" : "f";
    case "json":
      return JSON.stringify(value);
    case "datetime": {
      const date = value instanceof Date ? value : new Date(String(value));
      if (Number.isNaN(date.getTime())) throw new RangeError("Invalid date");
      return datetime === "iso" ? date.toISOString() : String(EXCEL_EPOCH_DAYS + date.getTime() / 86_400_000);
    }
    default:
      return String(value);
  }
}

/** JSON text as JSON.stringify prints it (compact, the key order kept), whatever spacing PostgreSQL used. */
export function compactJson(text: string): string {
  return JSON.stringify(JSON.parse(text));
}
