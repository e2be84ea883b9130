import type { Env } from "../env";

export interface EngineConfig {
  /** Records per page (one part, one guarded update); with `pageSizing`, the largest page. */
  pageSize: number;
  /** Pages sized from the export (`page-size.ts`): about 1/`pages` of it, at least `minRows`. Null: `pageSize`. */
  pageSizing: { pages: number; minRows: number } | null;
  /** Pages one claim may read through one COPY while no other export waits. */
  runPages: number;
  /** How long a claim holds an export without a heartbeat. */
  leaseMs: number;
  /** Attempts at one step before the export fails. */
  maxAttempts: number;
  /** First retry delay; doubled each attempt. */
  backoffMs: number;
  /** How long a result file is kept. */
  retentionMs: number;
}

/**
 * Pages of 250,000 records: a page streams, and each costs a synced part and a guarded update, so fewer pages
 * are faster (1,000,000 products as CSV: ~10% less time in 4 pages than in 10, BENCHMARKS.md). The price: a
 * retried page redoes up to 250,000 records, and a cancel or a smaller export waits for up to that page.
 *
 * Pages sized from the export: ~1/4 of it, between 10,000 and 250,000 records, so that collected_count moves 4
 * times in an export of 40,000 to 1,000,000 records (a person watching a 100,000-record export sees it move, not
 * jump from 0 to done) and every 250,000 records above. Each page more costs its synced part and its update:
 * with 1/5, a 1,000,000-record CSV export took 1–3% longer than in pages of 250,000 (its fifth page; 1.03 in a
 * full bench run), a 100,000-record one 1–4% (BENCHMARKS.md); 1/4 is the fewest pages that still move 4 times,
 * and leaves 1,000,000 records in pages of 250,000. An explicit EXPORT_PAGE_SIZE fixes the size
 * (`engineConfigFromEnv`).
 *
 * Runs of 8 pages of `pageSize` (smaller pages: more of them in a run): PostgreSQL streams without a stop at each
 * page (CSV of 1,000,000 products: from ~0.65–0.7 of COPY's speed to ~0.8–0.95). The bound keeps the COPY's
 * transaction, and the snapshot that holds VACUUM back, to a few seconds.
 */
export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  pageSize: 250_000,
  pageSizing: { pages: 4, minRows: 10_000 },
  runPages: 8,
  leaseMs: 30_000,
  maxAttempts: 5,
  backoffMs: 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
};

/** The LISTEN/NOTIFY channel that wakes idle workers when an export becomes runnable. */
export const RUNNABLE_CHANNEL = "exports_runnable";

export function engineConfigFromEnv(env: Env): EngineConfig {
  return {
    ...DEFAULT_ENGINE_CONFIG,
    // A page size that was asked for is kept exactly.
    pageSize: env.EXPORT_PAGE_SIZE ?? DEFAULT_ENGINE_CONFIG.pageSize,
    pageSizing: env.EXPORT_PAGE_SIZE === undefined ? DEFAULT_ENGINE_CONFIG.pageSizing : null,
    runPages: env.EXPORT_RUN_PAGES,
    leaseMs: env.EXPORT_LEASE_MS,
    maxAttempts: env.EXPORT_MAX_ATTEMPTS,
    retentionMs: Math.round(env.EXPORT_RETENTION_DAYS * 24 * 3600 * 1000),
  };
}
