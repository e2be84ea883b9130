import type { ValueType } from "../../contract";
import type { ResourceField } from "../../resources/types";
import { zonedIso, zoneOffsetMs } from "./zoned";

export function headerLabels(fields: readonly ResourceField[], language: string): string[] {
  return fields.map((f) => f.labels[language as keyof ResourceField["labels"]] ?? f.labels.en);
}

/** A date-time as a row encoder reads it: ISO 8601 in UTC with milliseconds (as the API shows it), or an Excel serial day. */
export type DatetimeForm = "iso" | "serial";

/** Days between Excel's epoch (1899-12-30) and the Unix epoch. */
const EXCEL_EPOCH_DAYS = 25569;

/**
 * A JS value's raw form, as COPY prints it (what every row encoder reads), for the row-by-row path; throws for a
 * value that cannot be serialised (the row is skipped and counted).
 */
export function rawValue(
  type: ValueType,
  value: unknown,
  datetime: DatetimeForm,
  zone: string | null = null,
): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "boolean":
      return value ? "t" : "f";
    case "json":
      return JSON.stringify(value);
    case "datetime": {
      const date = value instanceof Date ? value : new Date(String(value));
      if (Number.isNaN(date.getTime())) throw new RangeError("Invalid date");
      // In a zone (an export option): its own ISO form with the offset, or the local wall clock's serial day.
      if (zone !== null) {
        if (datetime === "iso") return zonedIso(date, zone);
        return String(EXCEL_EPOCH_DAYS + (date.getTime() + zoneOffsetMs(date, zone)) / 86_400_000);
      }
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
