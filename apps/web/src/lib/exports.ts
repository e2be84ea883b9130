import {
  ACTIVE_STATUSES,
  type ExportFormat,
  type ExportStatus,
  type Language,
  TERMINAL_STATUSES,
} from "@exports/core/contract";

/** The status filter's choices, in the order an export moves through them. */
export const STATUS_CHOICES = [...ACTIVE_STATUSES, ...TERMINAL_STATUSES] as const;

export const STATUS_LABELS: Record<ExportStatus, string> = {
  waiting: "waiting",
  waiting_next_page: "waiting for next page",
  processing: "processing",
  preparing_file_creation: "preparing file",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
};

export const FORMAT_LABELS: Record<ExportFormat, string> = { csv: "CSV", xls: "Excel", json: "JSON" };
export const LANGUAGE_LABELS: Record<Language, string> = { en: "English", tr: "Türkçe" };

/** A language code for people: `tr` → `Türkçe (tr)`. */
export function languageName(code: string): string {
  const label = (LANGUAGE_LABELS as Record<string, string>)[code];
  return label ? `${label} (${code})` : code;
}

/** While an export moves, the lists and the detail page ask again this often (ms). */
export const LIVE_INTERVAL_MS = 1000;

const dateTime = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "medium",
  timeZone: "UTC",
});

/** A timestamp for people: `12 Mar 2026, 14:03:11 UTC`, stable between server and browser renders. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${dateTime.format(d)} UTC`;
}

/** A compact UTC timestamp for table cells: `2025-01-01 00:01:00` (the column says UTC). */
export function formatDateTimeCompact(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 19).replace("T", " ");
}

/** The resource an export's request path names: `/api/v1/products/?a=b` → `products`. */
export function resourceKeyOf(requestPath: string): string {
  const pathname = requestPath.split("?")[0] ?? "";
  return pathname.replace(/^\/api\/v1\//, "").replace(/\/$/, "");
}

/** The query string part of a request path, decoded for display. */
export function filtersOf(requestPath: string): string {
  const q = requestPath.indexOf("?");
  if (q === -1) return "";
  try {
    return decodeURIComponent(requestPath.slice(q + 1).replace(/\+/g, " ")).replace(/&/g, ", ");
  } catch {
    return requestPath.slice(q + 1);
  }
}
