import { randomBytes } from "node:crypto";
import os from "node:os";
import type { Db } from "../db/client";
import type { Env } from "../env";
import { PollLoop } from "../loops/poll-loop";
import { attemptDelivery, claimDeliveries, type DeliveryConfig } from "./deliver";
import { dispatchEvents } from "./dispatch";

export interface WebhookDelivererOptions {
  db: Db;
  config: DeliveryConfig;
  pollMs?: number;
  /** Attempts in flight at once in this process (each waits up to the timeout on a slow receiver). */
  concurrency?: number;
  log?: (line: string) => void;
}

export function deliveryConfigFromEnv(env: Env): DeliveryConfig {
  return {
    retrySchedule: env.WEBHOOK_RETRY_SCHEDULE,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    allowPrivate: env.WEBHOOK_ALLOW_PRIVATE === "1",
  };
}

/**
 * The worker's webhook loop, beside the export engine: turns outbox events into deliveries, then claims due
 * deliveries and attempts them, a few at a time. Any number of workers may run it against one database.
 */
export class WebhookDeliverer {
  readonly id = `${os.hostname()}:${process.pid}:webhooks:${randomBytes(4).toString("hex")}`;
  private readonly inFlight = new Set<Promise<unknown>>();
  private claims = 0;
  private readonly loop: PollLoop;

  constructor(private readonly options: WebhookDelivererOptions) {
    this.loop = new PollLoop(
      () => this.tick(),
      options.pollMs ?? 1000,
      (err) => this.log(`error: ${err.message}`),
    );
  }

  start() {
    this.loop.start();
  }

  private log(line: string) {
    this.options.log?.(`[webhooks ${this.id}] ${line}`);
  }

  private async tick(): Promise<boolean> {
    const { db, config } = this.options;
    const dispatched = await dispatchEvents(db);
    const room = (this.options.concurrency ?? 4) - this.inFlight.size;
    if (room <= 0) return dispatched > 0;
    // A fresh owner token per claim: a result is recorded only by the attempt that holds the delivery.
    const owner = `${this.id}:${++this.claims}`;
    const claimed = await claimDeliveries(db, owner, room, config);
    for (const delivery of claimed) {
      const attempt = attemptDelivery(db, owner, delivery, config)
        .then((result) => {
          if (!result.ok) this.log(`delivery ${delivery.id} attempt ${delivery.attempts}: ${result.error}`);
        })
        .catch((err: Error) => this.log(`delivery ${delivery.id}: ${err.message}`))
        .finally(() => {
          this.inFlight.delete(attempt);
          this.loop.wake();
        });
      this.inFlight.add(attempt);
    }
    return dispatched > 0 || claimed.length > 0;
  }

  /** Stops claiming; resolves once the attempts in hand are recorded. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.inFlight);
  }
}
