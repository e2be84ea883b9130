import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "~/server/trpc/root";

type Outputs = inferRouterOutputs<AppRouter>;
export type ExportRecord = Outputs["exports"]["get"];
export type ExportStatus = ExportRecord["status"];
export type ExportFormat = ExportRecord["format_type"];
export type ResourceDescription = Outputs["resources"]["list"][number];
export type ResourceFilter = ResourceDescription["filters"][number];
export type ResourceFieldDescription = ResourceDescription["fields"][number];

/**
 * SPEC §4's not-yet-finished states. Kept here (not imported) so the browser bundle does not pull in the
 * server's core package; the type below fails to compile if it ever differs from core's list.
 */
export const ACTIVE_STATUSES = [
  "waiting",
  "waiting_next_page",
  "processing",
  "preparing_file_creation",
] as const satisfies readonly ExportStatus[];

type CoreActive = typeof import("@exports/core")["ACTIVE_STATUSES"][number];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const activeMatchesCore: Same<(typeof ACTIVE_STATUSES)[number], CoreActive> = true;
void activeMatchesCore;

export const ALL_STATUSES = [
  "waiting",
  "waiting_next_page",
  "processing",
  "preparing_file_creation",
  "completed",
  "failed",
  "cancelled",
] as const satisfies readonly ExportStatus[];
const allMatchCore: Same<(typeof ALL_STATUSES)[number], ExportStatus> = true;
void allMatchCore;

export function isActive(status: ExportStatus): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

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
export const FORMATS = ["csv", "xls", "json"] as const satisfies readonly ExportFormat[];
const formatsMatch: Same<(typeof FORMATS)[number], ExportFormat> = true;
void formatsMatch;

export type Language = import("@exports/core").Language;
export const LANGUAGES = ["en", "tr"] as const satisfies readonly Language[];
const languagesMatch: Same<(typeof LANGUAGES)[number], Language> = true;
void languagesMatch;
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
