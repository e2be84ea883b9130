import { sql } from "drizzle-orm";
import { type ExportRow, exports } from "../db/schema";
import { asDomainError, isStorageUnavailable } from "../errors";
import { keys } from "../storage";
import { claimNext, extendLease } from "./claim";
import { notifyRunnable } from "./notify";
import { assembleExport } from "./steps/assemble";
import { processPage } from "./steps/page";
import { dropIfCancelled, held, type StepDeps, type StepOutcome } from "./steps/shared";
import { startExport } from "./steps/start";

/** A short, useful error message for error_message (never a stack trace). */
function describeError(err: unknown): string {
  // The storage's own message names it and the cause (the door's 503 text would say less).
  if (isStorageUnavailable(err)) return (err as Error).message.slice(0, 2000);
  const domain = asDomainError(err);
  if (domain) return domain.detail;
  const e = err as { code?: string; message?: string; syscall?: string; path?: string };
  const code = e?.code ? `${e.code}: ` : "";
  if (e?.code === "ENOSPC") return "Could not write the export file: the storage is full (ENOSPC).";
  if (e?.code === "EACCES" || e?.code === "EPERM")
    return `Could not write the export file: permission denied (${e.code}).`;
  return `${code}${e?.message ?? String(err)}`.slice(0, 2000);
}

/**
 * A step failed: the export is retried after a doubling backoff or, after the last attempt, ends `failed`.
 * Guarded: a cancel in between wins. A failed export keeps what it recorded (its parts, `uploaded_parts`, a
 * direct upload): a retry (exports/retry.ts) goes on from there and a partial download (exports/partial.ts)
 * serves it; the retention sweep deletes it when the export expires. Only an unfinished assembly's result goes.
 */
async function releaseAfterFailure(deps: StepDeps, row: ExportRow, owner: string, err: unknown) {
  const message = describeError(err);
  const attempts = row.attempts + 1;
  const final = attempts >= deps.config.maxAttempts;
  const delay = deps.config.backoffMs * 2 ** (attempts - 1);
  // Back to where the export stands now: a run of pages may have recorded pages since the claim.
  const back =
    row.status === "preparing_file_creation"
      ? sql`'preparing_file_creation'::export_status`
      : sql`(case when ${exports.page} > 1 then 'waiting_next_page' else 'waiting' end)::export_status`;
  const updated = await deps.db
    .update(exports)
    .set({
      status: final ? sql`'failed'::export_status` : back,
      attempts,
      errorMessage: final ? message : null,
      leaseOwner: null,
      leaseExpiresAt: null,
      notBefore: final ? null : sql`now() + ${delay} * interval '1 millisecond'`,
      finishedAt: final ? sql`now()` : null,
      // A failed export expires as a completed one does (retention).
      expiresAt: final ? sql`now() + ${deps.config.retentionMs} * interval '1 millisecond'` : null,
    })
    .where(held(row, owner))
    .returning({ id: exports.id });
  // A direct upload's completed result (a failure after completing it) is what its retry's assembly finds.
  if (final && updated.length > 0 && !row.directUpload) {
    await deps.storage.removePrefix(keys.resultPrefix(row.id)).catch(() => {});
  }
  return { final, message, released: updated.length > 0 };
}

export interface RunResult {
  exportId: string;
  outcome: StepOutcome | "retry" | "failed";
  error?: string;
}

/**
 * Claims one export and does one step (start + first page, a run of pages, or the assembly) while a heartbeat
 * keeps the lease. Null when nothing was runnable.
 */
export async function runOnce(deps: StepDeps, owner: string): Promise<RunResult | null> {
  const row = await claimNext(deps.db, owner, deps.config.leaseMs);
  if (!row) return null;
  const controller = new AbortController();
  const heartbeat = setInterval(
    () => {
      extendLease(deps.db, row.id, owner, deps.config.leaseMs)
        .then((ok) => {
          if (!ok) controller.abort();
        })
        .catch(() => {});
    },
    Math.max(100, Math.floor(deps.config.leaseMs / 3)),
  );
  try {
    const claim = { row, owner, signal: controller.signal };
    let outcome: StepOutcome;
    if (row.status === "preparing_file_creation") {
      outcome = await assembleExport(deps, claim);
    } else if (row.maxInstanceId === null) {
      const started = await startExport(deps, row, owner);
      if (started) deps.faults?.("start.recorded");
      if (!started) outcome = "lost";
      else if (started.status === "preparing_file_creation") {
        // Nothing matched: the next step assembles the header-only file.
        await notifyRunnable(deps.db, row.id);
        outcome = "page";
      } else outcome = await processPage(deps, { ...claim, row: started });
    } else {
      outcome = await processPage(deps, claim);
    }
    return { exportId: row.id, outcome };
  } catch (err) {
    const { final, message, released } = await releaseAfterFailure(deps, row, owner, err);
    if (!released) {
      // The export was no longer ours (cancelled or taken over): what failed was work on a lost export (e.g. a
      // part whose folder a cancel had just removed), not the export.
      await dropIfCancelled(deps, row.id).catch(() => {});
      return { exportId: row.id, outcome: "lost" };
    }
    return { exportId: row.id, outcome: final ? "failed" : "retry", error: message };
  } finally {
    clearInterval(heartbeat);
  }
}
