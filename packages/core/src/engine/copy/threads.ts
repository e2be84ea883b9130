import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { EncodeSpec, FromThread, ToThread } from "./thread-protocol";

/**
 * Encoding threads: a page's rows encoded off the main thread (`thread-encoder.ts`), so one export keeps both
 * cores busy — the main thread reads the COPY and writes the part, a thread encodes, zlib deflates on libuv's
 * threadpool, PostgreSQL sends.
 */

/** What a stream's results go to (the COPY's part). */
export interface EncodedSink {
  data(bytes: Buffer): void;
  acked(bytes: number): void;
  end(stats: { written: number; failed: number; lastId: number | null }): void;
  fail(err: Error): void;
}

/** One page's rows being encoded in a thread. */
export interface RemoteStream {
  /** Sends `src[from..to)`, whole CopyData messages. */
  data(src: Buffer, from: number, to: number): void;
  /** Announces what `data` gathered (it sends in batches). */
  flush(): void;
  end(): void;
  drop(): void;
}

/** How to start a thread: its script, or (`eval`) code that loads it. */
type ThreadEntry = { url: URL; eval?: undefined } | { eval: string };

/**
 * The thread's script: next to the bundle (`apps/worker/scripts/build.mjs` builds `encode-thread.mjs` beside
 * `main.mjs`), or, running from source (tests, `pnpm dev`), the TypeScript next to this module, loaded through
 * tsx's API (node 20 does not apply an `--import` loader to a worker's own entry).
 */
function threadEntry(): ThreadEntry | null {
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    const script = new URL("./encode-thread.ts", here).href;
    const api = pathToFileURL(
      createRequire(here)
        .resolve("tsx/esm/api")
        .replace(/\.cjs$/, ".mjs"),
    ).href;
    return {
      eval: `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); });`,
    };
  }
  const url = new URL("./encode-thread.mjs", here);
  return existsSync(fileURLToPath(url)) ? { url } : null;
}

const YOUNG_MB = 4;

class EncodeThread {
  readonly worker: Worker;
  readonly sinks = new Map<number, EncodedSink>();
  dead = false;

  constructor(entry: ThreadEntry) {
    // A small young generation: the thread allocates little besides its buffers (the default doubled its heap).
    const options = { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } };
    this.worker =
      entry.eval === undefined
        ? new Worker(entry.url, options)
        : new Worker(entry.eval, { ...options, eval: true });
    this.worker.unref();
    this.worker.on("message", (message: FromThread) => this.receive(message));
    this.worker.on("error", (err) => this.die(err));
    this.worker.on("exit", (code) => this.die(new Error(`encoding thread exited (${code})`)));
  }

  send(message: ToThread, transfer?: ArrayBuffer[]) {
    this.worker.postMessage(message, transfer);
  }

  open(id: number, sink: EncodedSink) {
    if (this.sinks.size === 0) this.worker.ref();
    this.sinks.set(id, sink);
  }

  close(id: number) {
    if (this.sinks.delete(id) && this.sinks.size === 0) this.worker.unref();
  }

  private receive(message: FromThread) {
    const sink = this.sinks.get(message.id);
    if (!sink) return;
    switch (message.type) {
      case "out": {
        const { bytes } = message;
        sink.data(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        break;
      }
      case "ack":
        sink.acked(message.bytes);
        break;
      case "end":
        this.close(message.id);
        sink.end(message);
        break;
      case "error":
        this.close(message.id);
        sink.fail(new Error(message.message));
    }
  }

  private die(err: Error) {
    if (this.dead) return;
    this.dead = true;
    const sinks = [...this.sinks.values()];
    this.sinks.clear();
    for (const sink of sinks) sink.fail(err);
    void this.worker.terminate();
  }
}

/** Each stream's ring: above the COPY's bytes in flight to a thread (`CopyRows` stops reading at 1 MiB). */
const RING_BYTES = 2 << 20;
/** COPY bytes announced to a thread in one message, at most (a message each way costs ~10–50 µs). */
const BATCH_BYTES = 128 << 10;

/**
 * Shared memory the COPY's bytes are put in for a thread, in order: a message's bytes are contiguous (the end's
 * room is skipped when they do not fit there), and freed in order as the thread acknowledges them.
 */
class Ring {
  readonly memory: SharedArrayBuffer;
  private readonly view: Buffer;
  private head = 0;
  private reserved = 0;
  /** What each put holds, data and skipped room, oldest first. */
  private readonly puts: Array<{ bytes: number; reserved: number }> = [];

  constructor(size: number) {
    this.memory = new SharedArrayBuffer(size);
    this.view = Buffer.from(this.memory);
  }

  /** Copies `src[from..to)` in; returns where, or -1 when there is no room (nothing is held then). */
  put(src: Buffer, from: number, to: number): number {
    const n = to - from;
    const size = this.view.length;
    const at = this.head + n <= size ? this.head : 0;
    const reserved = at === 0 && this.head !== 0 ? size - this.head + n : n;
    if (this.reserved + reserved > size) {
      this.puts.push({ bytes: n, reserved: 0 });
      return -1;
    }
    src.copy(this.view, at, from, to);
    this.head = at + n;
    this.reserved += reserved;
    this.puts.push({ bytes: n, reserved });
    return at;
  }

  /** Nothing in it is in use: it can serve another stream. */
  get empty(): boolean {
    return this.reserved === 0 && this.puts.length === 0;
  }

  /** The thread is done with the oldest `bytes` (whole puts). */
  release(bytes: number) {
    let left = bytes;
    while (left > 0) {
      const put = this.puts.shift();
      if (!put) break;
      left -= put.bytes;
      this.reserved -= put.reserved;
    }
  }
}

/** A pool of `size` threads, started when first used; a stream goes to the thread with the fewest. */
export class EncoderThreads {
  private readonly threads: EncodeThread[] = [];
  /** Rings of ended streams, for the next ones (one in use per page: no new shared memory each time). */
  private readonly rings: Ring[] = [];
  private nextId = 1;

  constructor(
    private readonly size: number,
    private readonly entry: ThreadEntry,
  ) {}

  open(spec: EncodeSpec, sink: EncodedSink): RemoteStream {
    const thread = this.pick();
    const id = this.nextId++;
    const ring = this.rings.pop() ?? new Ring(RING_BYTES);
    const done = () => {
      if (ring.empty && this.rings.length < this.size) this.rings.push(ring);
    };
    thread.open(id, {
      acked(bytes) {
        ring.release(bytes);
        sink.acked(bytes);
      },
      data: (bytes) => sink.data(bytes),
      end(stats) {
        done();
        sink.end(stats);
      },
      fail: (err) => sink.fail(err),
    });
    thread.send({ type: "begin", id, spec, ring: ring.memory });
    // Bytes put in the ring and not announced yet: contiguous puts go in one message.
    let batchAt = 0;
    let batchLength = 0;
    const flush = () => {
      if (batchLength > 0) thread.send({ type: "data", id, at: batchAt, length: batchLength });
      batchLength = 0;
    };
    return {
      data(src, from, to) {
        const length = to - from;
        const at = ring.put(src, from, to);
        if (at >= 0 && batchLength > 0 && at === batchAt + batchLength) batchLength += length;
        else {
          flush();
          if (at >= 0) {
            batchAt = at;
            batchLength = length;
          } else {
            // Larger than the ring's room: a copy of its own, transferred.
            const bytes = new Uint8Array(src.subarray(from, to));
            thread.send({ type: "data", id, at: 0, length, bytes }, [bytes.buffer]);
          }
        }
        if (batchLength >= BATCH_BYTES) flush();
      },
      flush,
      end() {
        flush();
        thread.send({ type: "end", id });
      },
      drop() {
        thread.close(id);
        if (!thread.dead) thread.send({ type: "drop", id });
      },
    };
  }

  private pick(): EncodeThread {
    for (let i = this.threads.length - 1; i >= 0; i--) if (this.threads[i]?.dead) this.threads.splice(i, 1);
    if (this.threads.length < this.size) {
      const thread = new EncodeThread(this.entry);
      this.threads.push(thread);
      return thread;
    }
    return this.threads.reduce((a, b) => (b.sinks.size < a.sinks.size ? b : a));
  }
}

const pools = new Map<number, EncoderThreads | null>();

/** The process's pool of `size` encoding threads; null for 0, or when the thread's script is not there. */
export function encoderThreads(size: number): EncoderThreads | null {
  if (size <= 0) return null;
  let pool = pools.get(size);
  if (pool === undefined) {
    const entry = threadEntry();
    pool = entry ? new EncoderThreads(size, entry) : null;
    pools.set(size, pool);
  }
  return pool;
}
