/**
 * The buffers the worker sends parts from, reused. A part goes out as one contiguous buffer (the SDK signs it and
 * can send it again on a retry), 8–13 MiB each. Allocating one per part made the worker's RSS climb by tens of MB
 * over an export: these sizes fall under glibc's mmap threshold once a freed mapping has raised it, so they come
 * from its heap, which fragments and is not given back, and the garbage waits for V8's next full collection. A
 * few buffers taken and given back keep the memory fixed: at most `keep` idle, plus those in use. Idle ones are let
 * go once none was given back for `idleMs`, so a worker between exports does not hold them.
 */
export class PartBuffers {
  private readonly idle: Buffer[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Every buffer's size: the largest part sent from one (parts use the start of it). */
    readonly size: number,
    private readonly keep = 4,
    private readonly idleMs = 30_000,
  ) {}

  /** A buffer of at least `bytes` (its first `bytes` are the part): pooled when it fits, else a one-off. */
  take(bytes: number): Buffer {
    if (bytes > this.size) return Buffer.allocUnsafeSlow(bytes);
    return this.idle.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /**
   * Gives a buffer back once its request has answered. Not after a failed request: the HTTP layer may still
   * hold it (a socket being torn down), so it is left to the garbage collector.
   */
  give(buffer: Buffer) {
    if (buffer.length !== this.size || this.idle.length >= this.keep) return;
    this.idle.push(buffer);
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.idle.length = 0;
      }, this.idleMs);
      this.timer.unref();
    }
  }
}
