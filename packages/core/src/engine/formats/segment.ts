import { Transform, type TransformCallback } from "node:stream";
import { constants, crc32, createDeflateRaw, deflateRawSync } from "node:zlib";

/**
 * Deflate segments: a page deflates its own XML while it is read (zlib on libuv's threadpool), so the assembly
 * only joins compressed bytes. A segment is raw deflate from a fresh compressor ended by a sync flush (byte
 * aligned, no final block), so segments concatenate as they are; the stream's last one is finished (Z_FINISH).
 * The entry's CRC-32 is joined from the segments' with `crc32Combine`.
 */

/** What a part holds besides its segment, as a fixed trailer at its end. */
export interface SegmentInfo {
  /** The worksheet the segment belongs to (0-based). */
  sheet: number;
  /** CRC-32 and length of the uncompressed bytes. */
  crc: number;
  size: number;
  /** The segment's length (the part's bytes before the trailer). */
  compressed: number;
}

/** "XSG1": marks a part that ends with a segment trailer. */
const MAGIC = 0x3147_5358;
/** sheet u32, crc u32, size f64, compressed f64, magic u32. */
export const SEGMENT_TRAILER_BYTES = 28;

function encodeTrailer(info: SegmentInfo): Buffer {
  const b = Buffer.alloc(SEGMENT_TRAILER_BYTES);
  b.writeUInt32LE(info.sheet, 0);
  b.writeUInt32LE(info.crc >>> 0, 4);
  b.writeDoubleLE(info.size, 8);
  b.writeDoubleLE(info.compressed, 16);
  b.writeUInt32LE(MAGIC, 24);
  return b;
}

/** The trailer's fields, or null when `bytes` is not a trailer. */
export function decodeTrailer(bytes: Buffer): SegmentInfo | null {
  if (bytes.length !== SEGMENT_TRAILER_BYTES || bytes.readUInt32LE(24) !== MAGIC) return null;
  const info = {
    sheet: bytes.readUInt32LE(0),
    crc: bytes.readUInt32LE(4),
    size: bytes.readDoubleLE(8),
    compressed: bytes.readDoubleLE(16),
  };
  const whole = (n: number) => Number.isSafeInteger(n) && n >= 0;
  return whole(info.size) && whole(info.compressed) ? info : null;
}

/** The stages from a page's bytes to its part: deflate segment, then trailer. */
export function segmentStages(sheet: number, level = 1): Transform[] {
  const info: SegmentInfo = { sheet, crc: 0, size: 0, compressed: 0 };
  const meter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback) {
      info.crc = crc32(chunk, info.crc);
      info.size += chunk.length;
      callback(null, chunk);
    },
  });
  // 1 MiB of output per buffer: a page's 1 MiB pushes deflate to ~160 KiB each, and each time the buffer fills
  // zlib hands back to the main thread and waits for it before going on; with 256 KiB that was every other push.
  // Orders XLSX, all fields: 1911–2010 ms against 2031–2101 (BENCHMARKS.md, "What is left of issues 14 and 15").
  const deflate = createDeflateRaw({ level, finishFlush: constants.Z_SYNC_FLUSH, chunkSize: 1024 * 1024 });
  const trailer = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback) {
      info.compressed += chunk.length;
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      callback(null, encodeTrailer(info));
    },
  });
  return [meter, deflate, trailer];
}

/** A small text as a segment (`finish`: the stream's last one), with its CRC-32 and length. */
export function deflateText(text: string, finish: boolean, level = 1) {
  const raw = Buffer.from(text, "utf8");
  const data = deflateRawSync(raw, {
    level,
    finishFlush: finish ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
  });
  return { data, crc: crc32(raw), size: raw.length };
}
