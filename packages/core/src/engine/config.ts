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
 * Pages sized from the export: ~1/5 of it, between 10,000 and 250,000 records, so that collected_count moves 5
 * times in an export of 50,000 to 1,250,000 records (a person watching a 100,000-record export sees it move, not
 * jump from 0 to done) and every 250,000 records above. A page costs ~3.5 ms of the worker's CPU and ~7 ms of
 * wall time (its part synced, its update; measured with pages of 2,000): 1/5 costs a 1,000,000-record export one
 * page more than pages of 250,000 (~0.5%), 1/8 would cost four (~2%, BENCHMARKS.md). An explicit
 * EXPORT_PAGE_SIZE fixes the size (`engineConfigFromEnv`).
 *
 * Runs of 8 pages of `pageSize` (smaller pages: more of them in a run): PostgreSQL streams without a stop at each
 * page (CSV of 1,000,000 products: from ~0.65–0.7 of COPY's speed to ~0.8–0.95). The bound keeps the COPY's
 * transaction, and the snapshot that holds VACUUM back, to a few seconds.
 */
export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  pageSize: 250_000,
  pageSizing: { pages: 5, minRows: 10_000 },
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
