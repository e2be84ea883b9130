import type { Readable, Writable } from "node:stream";
import type { DirectStorage } from "./direct";

/** A file being written: it becomes visible under its key only when committed (write, then rename). */
export interface PendingFile {
  stream: Writable;
  /** Finishes the write and makes the file visible; returns its size in bytes. */
  commit(): Promise<number>;
  /** Throws the half-written file away. */
  abort(): Promise<void>;
}

/**
 * One piece of a composed file: bytes given now (a header, a footer), or a stored file — its bytes, or those
 * from `start` up to `end` (exclusive) — which is not copied.
 */
export type Segment = { bytes: Buffer } | { key: string; start?: number; end?: number };

/**
 * Where parts, results and uploaded filter files live. Keys are relative paths such as
 * `parts/<export id>/000003-<random>.part`. The local folder is the single-machine default; an S3-compatible
 * store implements the same calls.
 */
export interface Storage {
  /** Where it is, for messages: a folder, or `s3://bucket/prefix`. */
  readonly location: string;
  /** Throws, with a message a person can act on, when it cannot be used (start-up). */
  check(): Promise<void>;
  create(key: string): Promise<PendingFile>;
  /**
   * Commits `key` as the concatenation of `segments`, without copying the stored files it names (the way an
   * object store composes: GCS compose, S3 UploadPartCopy): they may be removed from their own keys afterwards
   * and the composed file keeps their bytes. Visible all at once, on the disk, like a committed file; returns
   * its size in bytes. A file already under `key` is replaced.
   */
  compose(key: string, segments: readonly Segment[]): Promise<number>;
  /** The file's bytes, or those from `range.start` up to `range.end` (exclusive); composed or not. */
  read(key: string, range?: { start: number; end: number }): Readable;
  size(key: string): Promise<number | null>;
  remove(key: string): Promise<void>;
  /** Removes every key under a prefix (a folder). */
  removePrefix(prefix: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  /**
   * A URL that lets whoever holds it GET the file for `seconds` (object stores), served with this
   * Content-Disposition and Content-Type.
   */
  presignedUrl?(
    key: string,
    seconds: number,
    headers: { disposition: string; contentType: string },
  ): Promise<string>;
  /**
   * Aborts uploads left unfinished (by a killed process) that began before `before`, but those in `keep` (the
   * direct uploads of unfinished exports); how many.
   */
  abortStaleUploads?(before: Date, keep?: ReadonlySet<string>): Promise<number>;
  /** Pages written straight as parts of the result's upload (direct.ts); absent: the store cannot. */
  readonly direct?: DirectStorage;
}
