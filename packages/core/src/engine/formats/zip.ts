import { crc32, deflateRawSync } from "node:zlib";
import type { FileSegment } from "./types";

/** A ZIP as a layout (`FormatWriter.layout`): its own bytes, and entry data that are ranges of parts. */
export class LayoutSink {
  readonly segments: FileSegment[] = [];
  private held: Buffer[] = [];

  bytes(buf: Buffer) {
    this.held.push(buf);
  }

  part(part: number, start: number, end: number) {
    this.flush();
    this.segments.push({ part, start, end });
  }

  done(): FileSegment[] {
    this.flush();
    return this.segments;
  }

  private flush() {
    if (this.held.length > 0) this.segments.push({ bytes: Buffer.concat(this.held) });
    this.held = [];
  }
}

/** Above this, sizes and offsets do not fit the classic 32-bit fields: ZIP64 records carry them. */
const MAX32 = 0xffff_ffff;

interface Entry {
  name: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
  zip64: boolean;
}

/** DOS date and time of `date` (local fields, as zip tools show them). */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.max(1980, date.getFullYear());
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/**
 * A ZIP writer (deflate, sizes in data descriptors after each entry), enough for an Office Open XML package,
 * into a `LayoutSink`. An entry whose size may pass 4 GiB, or an archive whose central directory starts past it,
 * uses ZIP64 records.
 */
export class ZipWriter {
  private readonly entries: Entry[] = [];
  private offset = 0;
  private readonly stamp = dosDateTime(new Date());

  constructor(
    private readonly out: LayoutSink,
    private readonly level = 1,
  ) {}

  private put(buf: Buffer) {
    this.offset += buf.length;
    this.out.bytes(buf);
  }

  /** An entry's local header (sizes and CRC follow in its data descriptor). */
  private open(name: string, zip64: boolean): Entry {
    const nameBuf = Buffer.from(name, "utf8");
    const entry: Entry = { name: nameBuf, crc: 0, compressed: 0, size: 0, offset: this.offset, zip64 };
    const extra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0);
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2); // original and compressed size, known only in the data descriptor
    }
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4);
    header.writeUInt16LE(0x0808, 6); // sizes in a data descriptor; UTF-8 names
    header.writeUInt16LE(8, 8); // deflate
    header.writeUInt16LE(this.stamp.time, 10);
    header.writeUInt16LE(this.stamp.date, 12);
    if (zip64) {
      header.writeUInt32LE(MAX32, 18);
      header.writeUInt32LE(MAX32, 22);
    }
    header.writeUInt16LE(nameBuf.length, 26);
    header.writeUInt16LE(extra.length, 28);
    this.put(Buffer.concat([header, nameBuf, extra]));
    return entry;
  }

  /** The entry's data descriptor; the entry is kept for the central directory. */
  private close(entry: Entry) {
    if (!entry.zip64 && (entry.size > MAX32 || entry.compressed > MAX32)) {
      throw new Error(`zip entry ${entry.name.toString("utf8")} is larger than its size bound`);
    }
    const descriptor = Buffer.alloc(entry.zip64 ? 24 : 16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(entry.crc, 4);
    if (entry.zip64) {
      descriptor.writeBigUInt64LE(BigInt(entry.compressed), 8);
      descriptor.writeBigUInt64LE(BigInt(entry.size), 16);
    } else {
      descriptor.writeUInt32LE(entry.compressed, 8);
      descriptor.writeUInt32LE(entry.size, 12);
    }
    this.put(descriptor);
    this.entries.push(entry);
  }

  private needsZip64(size: number): boolean {
    return size > MAX32 - 0x10_0000 || this.offset > MAX32;
  }

  /**
   * An entry already deflated: one raw deflate stream of `size` bytes whose CRC-32 is `crc`, as bytes of its own
   * and ranges of parts (noted, not read).
   */
  addDeflatedParts(
    name: string,
    { crc, size }: { crc: number; size: number },
    pieces: ReadonlyArray<Buffer | { part: number; start: number; end: number }>,
  ) {
    const entry = this.open(name, this.needsZip64(size));
    for (const piece of pieces) {
      if (Buffer.isBuffer(piece)) {
        entry.compressed += piece.length;
        this.put(piece);
      } else {
        const length = piece.end - piece.start;
        this.out.part(piece.part, piece.start, piece.end);
        entry.compressed += length;
        this.offset += length;
      }
    }
    entry.crc = crc >>> 0;
    entry.size = size;
    this.close(entry);
  }

  /** A small entry held in memory. */
  addText(name: string, text: string) {
    const data = Buffer.from(text, "utf8");
    const entry = this.open(name, this.needsZip64(data.length));
    const compressed = deflateRawSync(data, { level: this.level });
    entry.crc = crc32(data);
    entry.size = data.length;
    entry.compressed = compressed.length;
    this.put(compressed);
    this.close(entry);
  }

  finish() {
    const start = this.offset;
    for (const e of this.entries) {
      const big = e.zip64 || e.offset > MAX32;
      const fields: bigint[] = [];
      if (big) fields.push(BigInt(e.size), BigInt(e.compressed), BigInt(e.offset));
      const extra = Buffer.alloc(fields.length ? 4 + fields.length * 8 : 0);
      if (fields.length) {
        extra.writeUInt16LE(0x0001, 0);
        extra.writeUInt16LE(fields.length * 8, 2);
        fields.forEach((v, i) => {
          extra.writeBigUInt64LE(v, 4 + i * 8);
        });
      }
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(big ? 45 : 20, 4); // made by (MS-DOS attributes)
      h.writeUInt16LE(big ? 45 : 20, 6);
      h.writeUInt16LE(0x0808, 8);
      h.writeUInt16LE(8, 10);
      h.writeUInt16LE(this.stamp.time, 12);
      h.writeUInt16LE(this.stamp.date, 14);
      h.writeUInt32LE(e.crc, 16);
      h.writeUInt32LE(big ? MAX32 : e.compressed, 20);
      h.writeUInt32LE(big ? MAX32 : e.size, 24);
      h.writeUInt16LE(e.name.length, 28);
      h.writeUInt16LE(extra.length, 30);
      h.writeUInt32LE(big ? MAX32 : e.offset, 42);
      this.put(Buffer.concat([h, e.name, extra]));
    }
    const size = this.offset - start;
    const count = this.entries.length;
    const zip64 = start > MAX32 || size > MAX32 || count > 0xffff;
    if (zip64) {
      const eocd64At = this.offset;
      const r = Buffer.alloc(56);
      r.writeUInt32LE(0x06064b50, 0);
      r.writeBigUInt64LE(44n, 4);
      r.writeUInt16LE(45, 12);
      r.writeUInt16LE(45, 14);
      r.writeBigUInt64LE(BigInt(count), 24);
      r.writeBigUInt64LE(BigInt(count), 32);
      r.writeBigUInt64LE(BigInt(size), 40);
      r.writeBigUInt64LE(BigInt(start), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(eocd64At), 8);
      locator.writeUInt32LE(1, 16);
      this.put(Buffer.concat([r, locator]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(count, 0xffff), 8);
    end.writeUInt16LE(Math.min(count, 0xffff), 10);
    end.writeUInt32LE(Math.min(size, MAX32), 12);
    end.writeUInt32LE(Math.min(start, MAX32), 16);
    this.put(end);
  }
}
