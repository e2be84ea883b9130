import { and, count, desc, eq, type SQL } from "drizzle-orm";
import type { Actor } from "../auth/actor";
import { type ExportDto, listQueryInput, type TemplateDto, updateTemplateInput } from "../contract";
import type { Db } from "../db/client";
import { exportTemplates, type TemplateRow, users } from "../db/schema";
import { env } from "../env";
import { notFound } from "../errors";
import { admit, requestFingerprint } from "../exports/admission";
import { setAuditActor } from "../exports/audit-actor";
import { exportsChanged } from "../exports/change-feed";
import { exportLimitsFromEnv } from "../exports/limits";
import { toExportDto } from "../exports/serialize";
import type { Page } from "../filters/pagination";
import { parsePageRequest } from "../filters/pagination";
import { isUuid } from "../filters/values";
import { parseInput } from "../validation";
import { insertRun, templateRunValues } from "./run";
import { nextSlot } from "./schedule";
import { toTemplateDto } from "./serialize";
import { validateTemplate } from "./validate";

const visibleTo = (actor: Actor): SQL | undefined =>
  actor.isSuperuser ? undefined : eq(exportTemplates.ownerId, actor.id);

const withOwner = { template: exportTemplates, username: users.username };

/** The slot a template fires next: none without a schedule or while paused. */
function nextRunAt(data: ReturnType<typeof validateTemplate>["data"], now = new Date()): Date | null {
  return data.schedule && !data.paused ? nextSlot(data.schedule, now) : null;
}

function rowValues(data: ReturnType<typeof validateTemplate>["data"]) {
  return {
    name: data.name,
    requestPath: data.request_path.trim(),
    requestFields: data.request_fields,
    formatType: data.format_type,
    language: data.language,
    options: data.options,
    scheduleCron: data.schedule?.cron.trim() ?? null,
    scheduleTimezone: data.schedule?.timezone ?? null,
    paused: data.paused,
    onlyChangedSinceLastRun: data.only_changed_since_last_run,
  };
}

export async function createTemplate(db: Db, actor: Actor, input: unknown): Promise<TemplateDto> {
  const { data } = validateTemplate(input);
  const [row] = await db
    .insert(exportTemplates)
    .values({ ...rowValues(data), ownerId: actor.id, nextRunAt: nextRunAt(data) })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return toTemplateDto(row, actor.username);
}

/** A template the actor may see (owner or superuser; a non-UUID or another's id is not found). */
async function findRow(
  db: Db,
  actor: Actor,
  id: string,
): Promise<{ template: TemplateRow; username: string }> {
  if (!isUuid(id)) throw notFound();
  const [found] = await db
    .select(withOwner)
    .from(exportTemplates)
    .innerJoin(users, eq(users.id, exportTemplates.ownerId))
    .where(and(eq(exportTemplates.id, id), visibleTo(actor)))
    .limit(1);
  if (!found) throw notFound();
  return found;
}

export async function findTemplate(db: Db, actor: Actor, id: string): Promise<TemplateDto> {
  const { template, username } = await findRow(db, actor, id);
  return toTemplateDto(template, username);
}

/** The templates the actor may see, newest first, paginated like the exports list. */
export async function listTemplates(db: Db, actor: Actor, query: unknown): Promise<Page<TemplateDto>> {
  const params = parseInput(listQueryInput, query);
  const page = parsePageRequest(params, { "-created_date": [] }, "-created_date");
  const [rows, totals] = await Promise.all([
    db
      .select(withOwner)
      .from(exportTemplates)
      .innerJoin(users, eq(users.id, exportTemplates.ownerId))
      .where(visibleTo(actor))
      .orderBy(desc(exportTemplates.createdDate), desc(exportTemplates.id))
      .limit(page.limit)
      .offset(page.offset),
    db.select({ n: count() }).from(exportTemplates).where(visibleTo(actor)),
  ]);
  return {
    items: rows.map((r) => toTemplateDto(r.template, r.username)),
    total: totals[0]?.n ?? 0,
    page: page.page,
    limit: page.limit,
  };
}

/**
 * PATCH: the given fields onto the stored template, validated whole. The next slot is computed again when the
 * schedule or the pause changes (a resumed template fires at its next slot, not for the slots it missed).
 */
export async function updateTemplate(db: Db, actor: Actor, id: string, input: unknown): Promise<TemplateDto> {
  const { template, username } = await findRow(db, actor, id);
  const patch = parseInput(updateTemplateInput, input);
  const current = toTemplateDto(template, username);
  const { data } = validateTemplate({ ...current, ...patch });
  const values = rowValues(data);
  const scheduleChanged =
    values.scheduleCron !== template.scheduleCron ||
    values.scheduleTimezone !== template.scheduleTimezone ||
    values.paused !== template.paused;
  const [row] = await db
    .update(exportTemplates)
    .set({ ...values, ...(scheduleChanged ? { nextRunAt: nextRunAt(data) } : {}) })
    .where(eq(exportTemplates.id, template.id))
    .returning();
  if (!row) throw notFound();
  return toTemplateDto(row, username);
}

export async function deleteTemplate(db: Db, actor: Actor, id: string): Promise<void> {
  const { template } = await findRow(db, actor, id);
  // Its exports stay, their `template` set to null (the foreign key's ON DELETE SET NULL).
  await db.delete(exportTemplates).where(eq(exportTemplates.id, template.id));
  exportsChanged(db);
}

/**
 * Run now: a new export of the template, owned by the template's owner, under the same abuse limits as a
 * create (at most MAX_ACTIVE_EXPORTS_PER_USER unfinished; a run identical to one in flight answers that one).
 */
export async function runTemplate(
  db: Db,
  actor: Actor,
  id: string,
): Promise<{ export: ExportDto; outcome: "created" | "in_flight" }> {
  const { template } = await findRow(db, actor, id);
  const { resource } = validateTemplate({ ...toTemplateDto(template, ""), name: template.name });
  const limits = exportLimitsFromEnv(env());
  const owner: Actor =
    actor.id === template.ownerId ? actor : { id: template.ownerId, username: "", isSuperuser: false };
  const result = await db.transaction(async (tx) => {
    const values = await templateRunValues(tx, template, resource);
    const existing = await admit(tx, owner, {
      fingerprint: requestFingerprint({ ...values, actionName: `${values.actionName}:${template.id}` }),
      maxActive: limits.maxActivePerUser,
      withFilterFile: false,
      maxFilterFiles: limits.maxFilterFilesPerUser,
    });
    if (existing) return { row: existing.row, outcome: "in_flight" as const };
    // Run now: the audit trail's `created` names who ran it (a schedule's runs name nobody).
    await setAuditActor(tx, actor.id);
    const row = await insertRun(tx, {
      ...values,
      requestFingerprint: requestFingerprint({
        ...values,
        actionName: `${values.actionName}:${template.id}`,
      }),
    });
    await tx
      .update(exportTemplates)
      .set({ lastRunAt: row.createdDate })
      .where(eq(exportTemplates.id, template.id));
    return { row, outcome: "created" as const };
  });
  exportsChanged(db);
  return { export: toExportDto(result.row), outcome: result.outcome };
}
