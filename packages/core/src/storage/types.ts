import type { Readable, Writable } from "node:stream";

/** A file being written: it becomes visible under its key only when committed (write, then rename). */
export interface PendingFile {
  stream: Writable;
  /** Finishes the write and makes the file visible; returns its size in bytes. */
  commit(): Promise<number>;
  /** Throws the half-written file away. */
  abort(): Promise<void>;
}

/**
 * Where parts, results and uploaded filter files live. Keys are relative paths such as
 * `parts/<export id>/3-<claim>.part`. The local folder is the single-machine default; an S3-compatible
 * store implements the same calls.
 */
export interface Storage {
  create(key: string): Promise<PendingFile>;
  /** The file's bytes, or those from `range.start` up to `range.end` (exclusive). */
  read(key: string, range?: { start: number; end: number }): Readable;
  size(key: string): Promise<number | null>;
  remove(key: string): Promise<void>;
  /** Removes every key under a prefix (a folder). */
  removePrefix(prefix: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}
