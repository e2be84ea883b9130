import { and, eq, inArray, max, sql } from "drizzle-orm";
import { ACTIVE_STATUSES, type ExportOptions } from "../contract";
import type { Tx } from "../db/client";
import { type ExportRow, exports, type TemplateRow } from "../db/schema";
import { notifyRunnable } from "../engine/notify";
import { effectiveOptions } from "../exports/options";
import type { Resource } from "../resources/types";
import { SINCE_PARAM } from "./validate";

/**
 * The run's point in time (issue 17, only_changed_since_last_run): rows modified at or after it belong to the
 * next run. Not simply now(): a transaction still open now may commit later a row whose modified_date (its own
 * now(), or a clock reading taken inside it) is earlier, and this run's reads, which come after, would miss it
 * while the next run's filter skips it. So the point is the start of the oldest transaction open in any client
 * session of this database, if earlier; a row such a transaction commits has a modified_date at or after it. Cut to the
 * millisecond (downwards), as modified_date is stored. Costs a repeat, never a loss: a long transaction only
 * moves the point back, so the next run exports a few rows again.
 */
const RUN_POINT = sql<string>`to_char(date_trunc('milliseconds', least(now(), coalesce((
    select min(xact_start) from pg_stat_activity
    where xact_start is not null and pid <> pg_backend_pid() and backend_type = 'client backend'
      and datname = current_database()
  ), now()))) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The template's path, with the incremental filter when it has one. */
export function pathSince(requestPath: string, since: string | null): string {
  if (since === null) return requestPath;
  const sep = !requestPath.includes("?") ? "?" : /[?&]$/.test(requestPath) ? "" : "&";
  return `${requestPath}${sep}${SINCE_PARAM}=${encodeURIComponent(since)}`;
}

/** The point of the template's last successful run: where an incremental run starts (none: everything). */
async function lastSuccessfulPoint(tx: Tx, templateId: string): Promise<string | null> {
  const [row] = await tx
    .select({
      point: sql<
        string | null
      >`to_char(${max(exports.templatePoint)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    })
    .from(exports)
    .where(and(eq(exports.templateId, templateId), eq(exports.status, "completed")));
  return row?.point ?? null;
}

/** Whether an earlier run of the template is still unfinished (a scheduled slot then waits for none). */
export async function hasRunInFlight(tx: Tx, templateId: string): Promise<boolean> {
  const rows = await tx
    .select({ id: exports.id })
    .from(exports)
    .where(and(eq(exports.templateId, templateId), inArray(exports.status, ACTIVE_STATUSES)))
    .limit(1);
  return rows.length > 0;
}

/** The export a run of the template makes, its values (the fingerprint is made of them). */
export async function templateRunValues(tx: Tx, template: TemplateRow, resource: Resource) {
  const [{ point } = { point: "" }] = await tx
    .execute<{ point: string }>(sql`select ${RUN_POINT} as point`)
    .then((r) => r.rows);
  const since = template.onlyChangedSinceLastRun ? await lastSuccessfulPoint(tx, template.id) : null;
  return {
    requestPath: pathSince(template.requestPath, since),
    requestFields: template.requestFields,
    formatType: template.formatType,
    language: template.language,
    // The template keeps the options as given; a run is written with them resolved for its language.
    options: effectiveOptions(template.options as ExportOptions, template.language),
    actionName: `export_${resource.key}`,
    viewset: resource.viewset,
    requestedBy: template.ownerId,
    templateId: template.id,
    templatePoint: new Date(point),
  };
}

/** Inserts a run's export in the caller's transaction; workers are told when it commits. */
export async function insertRun(tx: Tx, values: typeof exports.$inferInsert): Promise<ExportRow> {
  const [row] = await tx.insert(exports).values(values).returning();
  if (!row) throw new Error("insert returned no row");
  await notifyRunnable(tx, row.id);
  return row;
}
