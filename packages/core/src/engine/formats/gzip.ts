import { Transform, type TransformCallback } from "node:stream";
import { buffer } from "node:stream/consumers";
import { createGzip, gzipSync } from "node:zlib";
import type { FileSegment, PartFile } from "./types";

/**
 * The `compression: "gzip"` option (issue 17) for CSV and JSON. A file is its parts one after the other, so each
 * part is a gzip member of its own, and so are the format's own bytes around them: concatenated members are one
 * valid gzip file (RFC 1952 §2.2; gunzip, zlib, Python's gzip read them all), so the assembly still joins the
 * parts where they are, with no copy, and CSV's direct mode still writes pages straight into the result.
 */

/** zlib's default: the usual trade of size against CPU (deflate runs on libuv's threadpool, off the loop). */
export const GZIP_LEVEL = 6;

export const gzipMember = (bytes: Buffer | string) =>
  gzipSync(typeof bytes === "string" ? Buffer.from(bytes) : bytes, { level: GZIP_LEVEL });

/**
 * A part's stages: its bytes as one gzip member. With `tail` (JSON's row separator, which the layout cuts from the
 * last part), the last `tail.length` bytes become a member of their own after it, so the layout can drop them.
 */
export function gzipStages(tail?: Buffer): Transform[] {
  const gzip = createGzip({ level: GZIP_LEVEL, chunkSize: 256 * 1024 });
  if (!tail) return [gzip];
  const n = tail.length;
  let held = Buffer.alloc(0);
  const hold = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback) {
      if (chunk.length >= n) {
        if (held.length > 0) this.push(held);
        this.push(chunk.subarray(0, chunk.length - n));
        held = Buffer.from(chunk.subarray(chunk.length - n));
      } else {
        const all = Buffer.concat([held, chunk]);
        if (all.length > n) this.push(all.subarray(0, all.length - n));
        held = Buffer.from(all.subarray(Math.max(0, all.length - n)));
      }
      callback();
    },
    flush(callback: TransformCallback) {
      callback(held.equals(tail) ? null : new Error("a part does not end with its row separator"));
    },
  });
  const member = gzipMember(tail);
  const append = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback) {
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      callback(null, member);
    },
  });
  return [hold, gzip, append];
}

/**
 * The layout of a file of `head`, the parts and `end`, each a member, where the last part's `tail` member (see
 * `gzipStages`) is cut; `empty` when there is no part. (The tail member is the same bytes in every process of one
 * deployment: same zlib, same level, no name or time in its header.)
 */
export async function gzipLayout(
  files: PartFile[],
  head: Buffer,
  end: Buffer | null,
  tail: Buffer | null,
  empty: Buffer,
): Promise<FileSegment[]> {
  if (files.length === 0) return [{ bytes: gzipMember(empty) }];
  const segments: FileSegment[] = [{ bytes: gzipMember(head) }];
  let cut: number | undefined;
  if (tail) {
    const member = gzipMember(tail);
    const last = files.at(-1) as PartFile;
    const size = await last.size();
    if (size === null || size < member.length) throw new Error("a part does not end with its row separator");
    const bytes = await buffer(last.read({ start: size - member.length, end: size }));
    if (!bytes.equals(member)) throw new Error("a part does not end with its row separator");
    cut = size - member.length;
  }
  files.forEach((_, i) => {
    segments.push(i === files.length - 1 && cut !== undefined ? { part: i, end: cut } : { part: i });
  });
  if (end) segments.push({ bytes: gzipMember(end) });
  return segments;
}
