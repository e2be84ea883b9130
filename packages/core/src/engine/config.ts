import type { Env } from "../env";

export interface EngineConfig {
  /** Records per page (one part, one transaction). */
  pageSize: number;
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
 * Pages of 250,000 records: a page streams (memory does not grow with it), and each costs a step of its own
 * (claim, transaction, synced part, guarded update), so fewer pages are faster — 1,000,000 products as CSV took
 * ~10% less time in 4 pages than in 10 (BENCHMARKS.md). The price: a retried page redoes up to 250,000 records,
 * progress moves in steps of that size (about 4 a second at full speed), and a cancel or a smaller export
 * waits for at most that page.
 */
export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  pageSize: 250_000,
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
    leaseMs: env.EXPORT_LEASE_MS,
    maxAttempts: env.EXPORT_MAX_ATTEMPTS,
    retentionMs: Math.round(env.EXPORT_RETENTION_DAYS * 24 * 3600 * 1000),
  };
}
