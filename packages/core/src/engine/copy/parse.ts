import { ByteWriter, type RowFields } from "../formats/bytes";
import type { RowEncoder } from "../formats/types";

/** COPY's CSV, parsed in place: a row is byte ranges of its source (`RowFields`), no cell a JS string. */

const EMPTY = Buffer.alloc(0);

/** The bytes that end an unquoted field: `,` and LF (a table lookup per byte, cheaper than two tests). */
const FIELD_END = new Uint8Array(256);
FIELD_END[44] = 1;
FIELD_END[10] = 1;

/**
 * Parses the row of COPY CSV (`""` inside quotes, NULL an unquoted empty field, `\n` after the row) at `p` into
 * `row`. Returns the index after its `\n`, or -1 when it does not end before `len` (the rest has not arrived).
 */
export function parseRow(src: Buffer, p: number, len: number, row: RowFields): number {
  const { start, end, quoted } = row;
  const n = start.length;
  let q = p;
  let plain = true;
  for (let i = 0; i < n; i++) {
    if (q >= len) return -1;
    if (src[q] === 34) {
      plain = false;
      let k = q + 1;
      for (;;) {
        k = src.indexOf(34, k);
        if (k === -1 || k + 1 >= len) return -1;
        if (src[k + 1] === 34) {
          k += 2;
          continue;
        }
        break;
      }
      start[i] = q + 1;
      end[i] = k;
      quoted[i] = 1;
      q = k + 1;
    } else {
      let k = q;
      while (k < len && FIELD_END[src[k] as number] === 0) k++;
      if (k >= len) return -1;
      start[i] = q;
      end[i] = k;
      quoted[i] = 0;
      q = k;
    }
    if (src[q] !== (i === n - 1 ? 10 : 44)) throw new Error("unexpected COPY output");
    q++;
  }
  row.src = src;
  row.plain = plain;
  return q;
}

/**
 * A page's rows, each encoded as it is parsed (a row the encoder refuses is skipped and counted). Column
 * `idColumn` (by default the last, then not a field) is the row's id, the page's keyset cursor.
 */
export class PageRows {
  rows = 0;
  written = 0;
  failed = 0;
  lastId: number | null = null;
  readonly row: RowFields;

  constructor(
    columns: number,
    private readonly encode: RowEncoder,
    private readonly idColumn = columns - 1,
  ) {
    this.row = {
      src: EMPTY,
      start: new Int32Array(columns),
      end: new Int32Array(columns),
      quoted: new Uint8Array(columns),
      plain: true,
    };
  }

  /** Counts a row a `LineEncoder` wrote. */
  added(id: number) {
    this.rows++;
    this.written++;
    this.lastId = id;
  }

  add(out: ByteWriter) {
    const row = this.row;
    const { src, start, end } = row;
    const at = this.idColumn;
    this.rows++;
    let id = 0;
    for (let k = start[at] as number; k < (end[at] as number); k++) id = id * 10 + ((src[k] as number) - 48);
    this.lastId = id;
    // Relative to the unflushed start: the encoder may move the bytes to a larger buffer.
    const mark = out.pos - out.start;
    try {
      this.encode(row, out);
      this.written++;
    } catch {
      out.pos = out.start + mark;
      this.failed++;
    }
  }

  /** Encodes whole COPY CSV text in one go (the row-by-row path). */
  encodeAll(data: Buffer): Buffer {
    const out = new ByteWriter(Math.max(1 << 16, data.length * 2));
    let p = 0;
    while (p < data.length) {
      const next = parseRow(data, p, data.length, this.row);
      if (next === -1) throw new Error("COPY output ended inside a row");
      this.add(out);
      p = next;
    }
    this.row.src = EMPTY;
    return out.flush();
  }
}
