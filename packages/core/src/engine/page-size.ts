import type { ExportRow } from "../db/schema";
import type { EngineConfig } from "./config";

/** Where an export stands when a page begins: what the page's size is chosen from. */
export type PageOrigin = Pick<
  ExportRow,
  "totalCount" | "collectedCount" | "failCount" | "lastInstanceId" | "maxInstanceId"
>;

/**
 * Records the page beginning at `at` reads. Fixed (`pageSize`) unless `pageSizing` is set: then about
 * 1/`pages` of the export, at least `minRows`, at most `pageSize`, so that `collected_count` (rows in recorded
 * parts) moves several times during any export a person would watch, while a large export keeps its large
 * pages. Until the count is recorded (it runs beside the first page) the id range left bounds the export's
 * size from above: a first page is never smaller than planned, only larger when the filters are sparse.
 */
export function pageRows(config: Pick<EngineConfig, "pageSize" | "pageSizing">, at: PageOrigin): number {
  const { pageSize, pageSizing } = config;
  if (!pageSizing) return pageSize;
  const done = at.collectedCount + at.failCount;
  const size =
    at.totalCount > 0 ? at.totalCount : done + Math.max(0, (at.maxInstanceId ?? 0) - at.lastInstanceId);
  const floor = Math.min(pageSizing.minRows, pageSize);
  return Math.min(pageSize, Math.max(floor, Math.ceil(size / pageSizing.pages)));
}
