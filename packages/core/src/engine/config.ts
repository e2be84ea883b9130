import type { Env } from "../env";

export interface EngineConfig {
  /** Records per page (one part, one guarded update). */
  pageSize: number;
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
 * Runs of 8 pages: PostgreSQL streams without a stop at each page (CSV of 1,000,000 products: from ~0.65–0.7
 * of COPY's speed to ~0.8–0.95). The bound keeps the COPY's transaction, and the snapshot that holds VACUUM
 * back, to a few seconds.
 */
export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  pageSize: 250_000,
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
    pageSize: env.EXPORT_PAGE_SIZE,
    runPages: env.EXPORT_RUN_PAGES,
    leaseMs: env.EXPORT_LEASE_MS,
    maxAttempts: env.EXPORT_MAX_ATTEMPTS,
    retentionMs: Math.round(env.EXPORT_RETENTION_DAYS * 24 * 3600 * 1000),
  };
}
