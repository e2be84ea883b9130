import { and, asc, eq, isNotNull, lte, sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client";
import { exportTemplates, type TemplateRow, users } from "../db/schema";
import { exportsChanged } from "../exports/change-feed";
import { hasRunInFlight, insertRun, templateRunValues } from "./run";
import { nextSlot } from "./schedule";
import { validateTemplate } from "./validate";

export interface FiredSlot {
  templateId: string;
  slot: Date;
  /** The export made for the slot; null when the slot was skipped (a run still in flight, or invalid). */
  exportId: string | null;
  skipped?: string;
}

/**
 * Fires one due slot, if any: in one transaction, takes a due template (`FOR UPDATE SKIP LOCKED`, so loops
 * elsewhere take others), moves `next_run_at` from the slot it saw to the first slot after now — a guarded
 * UPDATE that matches nothing if another loop moved it first — and inserts the run's export. Each slot fires
 * exactly once across any number of loops; after downtime the missed slots fire once together (the next slot
 * is the first after now, not after the missed one). Paused templates (next_run_at null) and those of a
 * deactivated owner are not due.
 */
export async function fireNextDue(db: Db, now?: Date): Promise<FiredSlot | null> {
  const fired = await db.transaction(async (tx) => {
    const at = now ? sql`${now.toISOString()}::timestamptz` : sql`now()`;
    const [due] = await tx
      .select({ template: exportTemplates })
      .from(exportTemplates)
      .innerJoin(users, eq(users.id, exportTemplates.ownerId))
      .where(
        and(
          isNotNull(exportTemplates.nextRunAt),
          lte(exportTemplates.nextRunAt, at),
          eq(exportTemplates.paused, false),
          eq(users.isActive, true),
        ),
      )
      .orderBy(asc(exportTemplates.nextRunAt))
      .limit(1)
      .for("update", { of: exportTemplates, skipLocked: true });
    if (!due) return null;
    return fireSlot(tx, due.template, now ?? new Date());
  });
  if (fired?.exportId) exportsChanged(db);
  return fired;
}

async function fireSlot(tx: Tx, template: TemplateRow, now: Date): Promise<FiredSlot | null> {
  const slot = template.nextRunAt as Date;
  const schedule =
    template.scheduleCron && template.scheduleTimezone
      ? { cron: template.scheduleCron, timezone: template.scheduleTimezone }
      : null;
  const next = schedule ? nextSlot(schedule, now) : null;
  const moved = await tx
    .update(exportTemplates)
    .set({ nextRunAt: next, modifiedDate: sql`${exportTemplates.modifiedDate}` })
    .where(and(eq(exportTemplates.id, template.id), eq(exportTemplates.nextRunAt, slot)))
    .returning({ id: exportTemplates.id });
  // Another loop fired this slot first.
  if (moved.length === 0) return null;
  const result = { templateId: template.id, slot };
  let resource: ReturnType<typeof validateTemplate>["resource"];
  try {
    resource = validateTemplate({ ...templateInput(template) }).resource;
  } catch (err) {
    return { ...result, exportId: null, skipped: `invalid template: ${(err as Error).message}` };
  }
  // A slow export on a frequent schedule must not pile up runs: the slot passes without one.
  if (await hasRunInFlight(tx, template.id)) {
    return { ...result, exportId: null, skipped: "the previous run is still unfinished" };
  }
  const values = await templateRunValues(tx, template, resource);
  const row = await insertRun(tx, values);
  await tx
    .update(exportTemplates)
    .set({ lastRunAt: row.createdDate, modifiedDate: sql`${exportTemplates.modifiedDate}` })
    .where(eq(exportTemplates.id, template.id));
  return { ...result, exportId: row.id };
}

function templateInput(t: TemplateRow) {
  return {
    name: t.name,
    request_path: t.requestPath,
    request_fields: t.requestFields,
    format_type: t.formatType,
    language: t.language,
    options: t.options,
    schedule: null,
    only_changed_since_last_run: t.onlyChangedSinceLastRun,
  };
}

export interface SchedulerOptions {
  db: Db;
  /** How often the loop looks for due slots. */
  intervalMs?: number;
  log?: (line: string) => void;
}

/**
 * The schedule loop each worker process runs beside the export engine. Any number may run against one
 * database: the guarded UPDATE in fireNextDue decides which loop fires a slot.
 */
export class TemplateScheduler {
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number) {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = null;
        this.schedule(this.options.intervalMs ?? 5_000);
      });
    }, ms);
  }

  /** Fires every slot due now, one transaction each. */
  async tick(): Promise<FiredSlot[]> {
    const fired: FiredSlot[] = [];
    try {
      for (
        let f = await fireNextDue(this.options.db);
        f && !this.stopping;
        f = await fireNextDue(this.options.db)
      ) {
        fired.push(f);
        this.options.log?.(
          `[scheduler] template ${f.templateId} slot ${f.slot.toISOString()}: ${f.exportId ? `export ${f.exportId}` : `skipped (${f.skipped})`}`,
        );
      }
    } catch (err) {
      this.options.log?.(`[scheduler] error: ${(err as Error).message}`);
    }
    return fired;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
