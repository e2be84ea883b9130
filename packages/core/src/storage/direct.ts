import type { Writable } from "node:stream";

/**
 * Direct mode: an export's pages written straight as parts of its result's multipart upload (S3; CSV, JSON, XLSX),
 * so the bytes cross the store once instead of being stored as part objects and sent again by the assembly.
 */

/** The result's multipart upload, fixed when the export starts (`exports.direct_key`, `direct_upload`). */
export interface DirectUpload {
  /** The result's storage key. */
  key: string;
  uploadId: string;
}

/** One part of the upload, as the page that wrote it records it. */
export interface DirectPart {
  n: number;
  etag: string;
  size: number;
}

/**
 * A page written as parts: their numbers ascend across pages; `head`: the first starts with the file's head.
 * `carried`: the bytes the first part starts with that end the page before (JSON's row separator, which that
 * page held back); `held`: the page's own last bytes, not uploaded (the next page starts with them, or the
 * assembly sends or drops them). Both empty for CSV (and in entries from before them).
 */
export interface DirectPage {
  head: boolean;
  carried: Buffer;
  held: Buffer;
  parts: DirectPart[];
}

/** What the assembly sends after the pages' parts: bytes, or a range of a part object (by storage key). */
export type DirectTail = { bytes: Buffer } | { key: string; start?: number; end?: number };

/** S3: part numbers 1..10,000. */
export const MAX_PART_NUMBER = 10_000;

const PREFIX = "mpu:";

/** A page's `uploaded_parts` entry: a part object's key, or (direct) `mpu:` and its parts. */
export const isDirectEntry = (entry: string) => entry.startsWith(PREFIX);

export function encodeDirectPage(page: DirectPage): string {
  const fields = {
    h: page.head ? 1 : 0,
    p: page.parts.map((p) => [p.n, p.etag, p.size]),
    ...(page.carried.length > 0 ? { c: page.carried.toString("base64") } : {}),
    ...(page.held.length > 0 ? { t: page.held.toString("base64") } : {}),
  };
  return `${PREFIX}${JSON.stringify(fields)}`;
}

export function decodeDirectPage(entry: string): DirectPage {
  if (!isDirectEntry(entry)) throw new Error(`not a direct page: ${entry.slice(0, 80)}`);
  const { h, p, c, t } = JSON.parse(entry.slice(PREFIX.length)) as {
    h: number;
    p: [number, string, number][];
    c?: string;
    t?: string;
  };
  return {
    head: h === 1,
    carried: Buffer.from(c ?? "", "base64"),
    held: Buffer.from(t ?? "", "base64"),
    parts: p.map(([n, etag, size]) => ({ n, etag, size })),
  };
}

/** Reserves `k` fresh part numbers (above every number reserved before); the first of them. */
export type ReservePartNumbers = (k: number) => Promise<number>;

/** How a page is written directly. */
export interface DirectPageWrite {
  upload: DirectUpload;
  reserve: ReservePartNumbers;
  /** The file's head (the export's first page): it starts the page's first part (not in a part object). */
  head: Buffer | null;
  /**
   * The bytes the page's first part starts with after the page before (which held them back), or empty; not in
   * a part object.
   */
  carried?: Buffer;
  /**
   * The bytes every page ends with, held back (not uploaded) and recorded: JSON's row separator, which the file
   * drops after its last row (a page that does not end with them fails), or a number of them, whatever they are
   * (XLSX's segment trailer). None: CSV.
   */
  hold?: Buffer | number;
}

/** A page being written: `commit` gives its `uploaded_parts` entry and its size (the head not counted). */
export interface PendingPage {
  stream: Writable;
  /** Once the stream finished: whether the page went to parts of the upload or to a part object. */
  readonly mode: "direct" | "object" | null;
  commit(): Promise<{ entry: string; size: number }>;
  abort(): Promise<void>;
}

/** What a store that writes pages directly offers (S3). */
export interface DirectStorage {
  /** The smallest part but the last (S3: 5 MiB; tests set less). */
  readonly minPart: number;
  begin(key: string): Promise<string>;
  /**
   * A page: its bytes go to parts of at least `minPart` as they come; a page that ends smaller is written as the
   * part object `partKey` instead.
   */
  createPage(partKey: string, write: DirectPageWrite): PendingPage;
  /**
   * Completes the upload of `parts` (in order) followed by `tail` (bytes and ranges of part objects, sent as
   * further parts numbered by `reserve`);
   * with `first`, those pieces are sent first, as part 1 (reserved when the upload began: XLSX);
   * returns the result's size, which must be `expected`. Done already (the upload gone, the result there with
   * `expected` bytes): returns at once.
   */
  complete(
    upload: DirectUpload,
    parts: readonly DirectPart[],
    tail: readonly DirectTail[],
    reserve: ReservePartNumbers,
    expected: number,
    first?: readonly DirectTail[],
  ): Promise<number>;
  /** Aborts the upload where the server can (its parts are then gone); never throws. */
  abort(upload: DirectUpload): Promise<void>;
}
