/** A sleep another event can cut short (a NOTIFY, a finished attempt, a stop). */
export class Sleeper {
  private wakeUp: (() => void) | null = null;
  /**
   * A wake-up that came while awake, kept for the next sleep, which then returns at once. A NOTIFY handled while
   * the worker's claim query was in flight is such a wake-up: the claim's snapshot missed the new export, and
   * dropped, the worker slept out its whole poll interval before starting it (1 export in ~70 in the bench's
   * progress section waited WORKER_POLL_MS, BENCHMARKS.md).
   */
  private woken = false;

  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    }).finally(() => {
      this.wakeUp = null;
    });
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }
}

/**
 * Runs `tick` until stopped; after a tick that found nothing to do it sleeps `pollMs` (or until woken). A tick
 * that throws is logged and the loop goes on: the worker's background loops (webhooks, email) must outlive a
 * database that is away for a while.
 */
export class PollLoop {
  private stopping = false;
  private loop: Promise<void> | null = null;
  private readonly sleeper = new Sleeper();

  constructor(
    private readonly tick: () => Promise<boolean>,
    private readonly pollMs: number,
    private readonly onError: (err: Error) => void,
  ) {}

  get stopped(): boolean {
    return this.stopping;
  }

  start(): void {
    this.loop = this.run();
  }

  wake(): void {
    this.sleeper.wake();
  }

  private async run() {
    while (!this.stopping) {
      let busy = false;
      try {
        busy = await this.tick();
      } catch (err) {
        this.onError(err as Error);
      }
      if (!this.stopping && !busy) await this.sleeper.sleep(this.pollMs);
    }
  }

  /** Stops; resolves once the tick in hand is done. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.sleeper.wake();
    await this.loop;
  }
}
