/**
 * Byte-level building blocks of the row encoders: COPY's bytes in, a part's bytes out, no cell a JS string
 * (UTF-8 passes through: every byte that matters here is ASCII, and no byte of a multi-byte character is).
 */

/** One row's fields as ranges of `src`. */
export interface RowFields {
  src: Buffer;
  /** Each column's content (inside a quoted field's quotes). */
  start: Int32Array;
  end: Int32Array;
  /** 1: the field was quoted (it may hold `""`, commas, CR, LF). */
  quoted: Uint8Array;
  /** No field was quoted: no quote, comma, CR, LF or empty string. */
  plain: boolean;
}

/** A field's value as a JS string (quotes undoubled): for the rare cells that need real parsing. */
export function fieldText(row: RowFields, i: number): string {
  const text = row.src.toString("utf8", row.start[i], row.end[i]);
  return row.quoted[i] ? text.replaceAll('""', '"') : text;
}

/**
 * A growable output buffer. `flush()` hands out what was written since the last flush (a view, never written
 * again) and goes on in the same buffer: large chunks without a copy or an allocation each.
 */
export class ByteWriter {
  buf: Buffer;
  pos = 0;
  /** Where the bytes not flushed yet start. */
  start = 0;

  constructor(private readonly size = 1 << 16) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number) {
    if (this.pos + n <= this.buf.length) return;
    const held = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(this.size, (held + n) * 2));
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = held;
  }

  flush(): Buffer {
    const out = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
    return out;
  }

  byte(b: number) {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Bytes that are known ASCII (tags, digits, keys): copied one by one. */
  ascii(bytes: Uint8Array) {
    const n = bytes.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = bytes[i] as number;
    this.pos = p;
  }

  range(src: Buffer, start: number, end: number) {
    const n = end - start;
    this.ensure(n);
    // Rows and cells are short: a plain loop beats Buffer#copy's per-call cost below a few hundred bytes.
    if (n > 256) src.copy(this.buf, this.pos, start, end);
    else {
      const buf = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) buf[p++] = src[i] as number;
    }
    this.pos += n;
  }

  string(text: string) {
    const n = Buffer.byteLength(text);
    this.ensure(n);
    this.pos += this.buf.write(text, this.pos, "utf8");
  }
}

/** Copies `bytes` (the first `n`) to `buf` at `p`, returns the position after: the room must be there. */
export function put(buf: Buffer, p: number, bytes: Uint8Array, n = bytes.length): number {
  for (let i = 0; i < n; i++) buf[p + i] = bytes[i] as number;
  return p + n;
}

/** Copies `src[s..e)` to `buf` at `p`, as `put`. */
export function putRange(buf: Buffer, p: number, src: Buffer, s: number, e: number): number {
  let q = p;
  for (let k = s; k < e; k++) buf[q++] = src[k] as number;
  return q;
}

export const ascii = (text: string) => Uint8Array.from(Buffer.from(text, "latin1"));

/** The formula characters (`=` `+` `-` `@` tab CR) by byte. */
export function isFormulaByte(b: number | undefined): boolean {
  return b === 61 || b === 43 || b === 45 || b === 64 || b === 9 || b === 13;
}

const isAsciiSpace = (b: number | undefined) => b === 32 || (b !== undefined && b >= 9 && b <= 13);

/** Whether the UTF-8 bytes at `at` start a character that `/\s/` matches beyond ASCII. */
function unicodeSpaceAt(src: Buffer, at: number, end: number): boolean {
  const b0 = src[at];
  if (b0 === 0xc2) return at + 1 < end && src[at + 1] === 0xa0;
  if (at + 2 >= end) return false;
  const b1 = src[at + 1];
  const b2 = src[at + 2];
  switch (b0) {
    case 0xe1:
      return b1 === 0x9a && b2 === 0x80;
    case 0xe2:
      return (
        (b1 === 0x80 &&
          b2 !== undefined &&
          ((b2 >= 0x80 && b2 <= 0x8a) || b2 === 0xa8 || b2 === 0xa9 || b2 === 0xaf)) ||
        (b1 === 0x81 && b2 === 0x9f)
      );
    case 0xe3:
      return b1 === 0x80 && b2 === 0x80;
    case 0xef:
      return b1 === 0xbb && b2 === 0xbf;
    default:
      return false;
  }
}

/** `/^\s/` on the field's text (its bytes from `s`). */
export function startsWithSpace(src: Buffer, s: number, e: number): boolean {
  const b = src[s];
  if (b === undefined || s >= e) return false;
  if (b < 0x80) return isAsciiSpace(b);
  return unicodeSpaceAt(src, s, e);
}

/** `/\s$/` on the field's text (its bytes up to `e`). */
export function endsWithSpace(src: Buffer, s: number, e: number): boolean {
  if (e <= s) return false;
  const b = src[e - 1] as number;
  if (b < 0x80) return isAsciiSpace(b);
  if (e - s >= 2 && src[e - 2] === 0xc2) return b === 0xa0;
  return e - s >= 3 && unicodeSpaceAt(src, e - 3, e);
}
