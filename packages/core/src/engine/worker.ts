import { randomBytes } from "node:crypto";
import os from "node:os";
import pg from "pg";
import { Sleeper } from "../loops/poll-loop";
import { RUNNABLE_CHANNEL } from "./config";
import { sweepStorage } from "./retention";
import { type RunResult, runOnce } from "./runner";
import type { StepDeps } from "./steps/shared";

export interface WorkerOptions extends StepDeps {
  /** Connection string for the LISTEN connection (a dedicated client, outside the pool). */
  databaseUrl: string;
  /** Poll interval when no notification arrives (the fallback). */
  pollMs?: number;
  /** How often this worker runs the retention sweep (expired results, orphaned parts); 0 = never. */
  sweepMs?: number;
  log?: (line: string) => void;
  onStep?: (result: RunResult) => void;
  /**
   * Called once each time the worker runs out of steps (after it ran some), `idleDelayMs` later if no step began
   * meanwhile: out of the way of an export created right after the last one finished.
   */
  onIdle?: () => void;
  /** Default 250 ms. */
  idleDelayMs?: number;
}

/**
 * A worker: claims a step, runs it, repeats; idle, it sleeps until a NOTIFY on the runnable channel or the poll
 * interval. Any number may run against one database. stop() finishes (or releases) the step in hand first.
 */
export class ExportWorker {
  readonly id = `${os.hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  private stopping = false;
  private readonly sleeper = new Sleeper();
  private listener: pg.Client | null = null;
  private loop: Promise<void> | null = null;
  private claims = 0;
  private lastSweep = 0;
  /** A step ran since the worker was last idle. */
  private busy = false;
  /** A claim (or a step) is in progress. */
  private stepping = false;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: WorkerOptions) {}

  private log(line: string) {
    this.options.log?.(`[worker ${this.id}] ${line}`);
  }

  async start(): Promise<void> {
    await this.listen();
    this.loop = this.run();
  }

  private async listen() {
    if (this.stopping) return;
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: "exports-worker-listen",
    });
    client.on("notification", () => this.sleeper.wake());
    const reconnect = () => {
      if (this.listener !== client) return;
      this.listener = null;
      setTimeout(() => this.listen().catch(() => {}), 1000).unref();
    };
    client.on("error", reconnect);
    client.on("end", reconnect);
    try {
      await client.connect();
      await client.query(`listen ${RUNNABLE_CHANNEL}`);
      this.listener = client;
    } catch (err) {
      this.log(`listen failed (${(err as Error).message}); polling until it reconnects`);
      client.end().catch(() => {});
      setTimeout(() => this.listen().catch(() => {}), 1000).unref();
    }
  }

  /** Retention, at most every sweepMs; sweeps of many workers take each expired export once (SKIP LOCKED). */
  private async maybeSweep() {
    const sweepMs = this.options.sweepMs ?? 60_000;
    if (sweepMs <= 0 || Date.now() - this.lastSweep < sweepMs) return;
    this.lastSweep = Date.now();
    const swept = await sweepStorage(this.options.db, this.options.storage);
    if (swept.expired || swept.orphanedParts || swept.abortedUploads) {
      this.log(
        `swept ${swept.expired} expired export(s), ${swept.orphanedParts} orphaned part folder(s), ${swept.abortedUploads} unfinished upload(s)`,
      );
    }
  }

  private async run() {
    const pollMs = this.options.pollMs ?? 1000;
    while (!this.stopping) {
      try {
        await this.maybeSweep();
        // A fresh owner token per claim: a worker's own stale claim is never taken for a new one.
        const owner = `${this.id}:${++this.claims}`;
        // Once stopping, a run of pages ends at its next page: SIGTERM waits for one page.
        this.stepping = true;
        const result = await runOnce({ ...this.options, endRun: () => this.stopping }, owner).finally(() => {
          this.stepping = false;
        });
        if (result) {
          this.busy = true;
          this.options.onStep?.(result);
          if (result.error) this.log(`export ${result.exportId}: ${result.outcome}: ${result.error}`);
          continue;
        }
        if (this.busy) {
          this.busy = false;
          this.whenIdle();
        }
      } catch (err) {
        this.log(`error: ${(err as Error).message}`);
      }
      if (!this.stopping) await this.sleeper.sleep(pollMs);
    }
  }

  /** `onIdle` after the delay, unless a step ran meanwhile (then the next idle time schedules it again). */
  private whenIdle() {
    if (!this.options.onIdle) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.busy || this.stopping) return;
      // An empty poll in progress (or a claim that will be a step): ask again later.
      if (this.stepping) return this.whenIdle();
      this.options.onIdle?.();
    }, this.options.idleDelayMs ?? 250);
    this.idleTimer.unref();
  }

  /** Stops claiming; resolves once the step in hand is finished and committed (or released). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.sleeper.wake();
    await this.loop;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
  }
}
