import { and, asc, count, eq, type SQL, sql } from "drizzle-orm";
import type { Actor } from "../auth/actor";
import {
  type DownloadDetail,
  EXPORT_EVENT_TYPES,
  type ExportEventDto,
  type ExportEventType,
  listQueryInput,
} from "../contract";
import type { Db } from "../db/client";
import { exportAudit, users } from "../db/schema";
import { forbidden } from "../errors";
import { compileFilters, type FilterSpec } from "../filters/grammar";
import { PAGINATION_PARAMS, type Page, parsePageRequest } from "../filters/pagination";
import { parseInput } from "../validation";
import { isoTimestamp } from "./serialize";
import { findExportRecord } from "./service";

/**
 * The audit trail (issue 17; the table: db/schema/audit.ts). Lifecycle events are written by migration 0012's
 * trigger in the statement that causes them; a service whose change has an acting user names it first with
 * `setAuditActor` (audit-actor.ts) in the same
 * transaction. Downloads are recorded by the web process (`recordDownload`).
 */

/** One download request answered with the file (200/206, or a 302 to the object store). One INSERT. */
export async function recordDownload(
  db: Db,
  actor: Actor,
  exportId: string,
  detail: DownloadDetail,
): Promise<void> {
  await db
    .insert(exportAudit)
    .values({ exportId, type: "downloaded", actorId: actor.id, detail: { ...detail } });
}

const eventColumns = {
  id: exportAudit.id,
  type: exportAudit.type,
  exportId: exportAudit.exportId,
  actorId: exportAudit.actorId,
  actorUsername: users.username,
  createdDate: isoTimestamp(exportAudit.createdDate),
  detail: exportAudit.detail,
};

type EventRow = {
  id: number;
  type: string;
  exportId: string;
  actorId: string | null;
  actorUsername: string | null;
  createdDate: string;
  detail: unknown;
};

function toEventDto(row: EventRow): ExportEventDto {
  return {
    id: row.id,
    type: row.type as ExportEventType,
    export: row.exportId,
    actor: row.actorId,
    actor_username: row.actorUsername,
    created_date: row.createdDate,
    detail: (row.detail ?? {}) as Record<string, unknown>,
  };
}

/** `GET /api/v1/exports/{id}/events/`: an export's trail, oldest first, with the export's visibility. */
export async function listExportEvents(db: Db, actor: Actor, id: string): Promise<ExportEventDto[]> {
  const row = await findExportRecord(db, actor, id);
  const rows = await db
    .select(eventColumns)
    .from(exportAudit)
    .leftJoin(users, eq(users.id, exportAudit.actorId))
    .where(eq(exportAudit.exportId, row.id))
    .orderBy(asc(exportAudit.id));
  return rows.map(toEventDto);
}

/** The superusers' list's filters, in the shared grammar. */
export const auditFilterSpec: FilterSpec = {
  type: { column: exportAudit.type, kind: "choice", choices: EXPORT_EVENT_TYPES },
  export: { column: exportAudit.exportId, kind: "uuid" },
  user: { column: exportAudit.actorId, kind: "uuid" },
  created_date: { column: exportAudit.createdDate, kind: "datetime" },
};

const auditOrderings: Record<string, SQL[]> = {
  "-created_date": [sql`${exportAudit.createdDate} desc nulls last`, sql`${exportAudit.id} desc nulls last`],
  created_date: [sql`${exportAudit.createdDate} asc nulls first`, sql`${exportAudit.id} asc nulls first`],
};

/**
 * `GET /api/v1/export_events/` (superusers): everyone's events, newest first, filtered by type, export, user (the
 * actor) and created date; paginated as the exports list. Unknown parameters are a 400 (an audit query that
 * silently ignored a mistyped filter would answer a different question).
 */
export async function listAuditEvents(db: Db, actor: Actor, query: unknown): Promise<Page<ExportEventDto>> {
  if (!actor.isSuperuser) throw forbidden();
  const params = parseInput(listQueryInput, query);
  const { where } = compileFilters(auditFilterSpec, params, {
    unknown: "error",
    reserved: PAGINATION_PARAMS,
  });
  const page = parsePageRequest(params, auditOrderings, "-created_date");
  const [rows, totals] = await Promise.all([
    db
      .select(eventColumns)
      .from(exportAudit)
      .leftJoin(users, eq(users.id, exportAudit.actorId))
      .where(where)
      .orderBy(...page.orderBy)
      .limit(page.limit)
      .offset(page.offset),
    db.select({ n: count() }).from(exportAudit).where(and(where)),
  ]);
  return { items: rows.map(toEventDto), total: totals[0]?.n ?? 0, page: page.page, limit: page.limit };
}
