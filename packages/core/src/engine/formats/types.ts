import type { Readable, Transform, Writable } from "node:stream";
import type { ExportFormat } from "../../contract";
import type { ResourceField } from "../../resources/types";
import { CopyRowEncoder, copyLines } from "../copy";
import type { ByteWriter, RowFields } from "./bytes";
import { type DatetimeForm, rawValue } from "./cells";

export interface EncodedPage {
  data: string;
  /** Rows written into the part. */
  written: number;
  /** Rows that could not be serialised: skipped and counted in fail_count, never fatal. */
  failed: number;
}

/** A committed part, read by the assembly. */
export interface PartFile {
  /** Its bytes, or those from `range.start` up to `range.end` (exclusive). */
  read(range?: { start: number; end: number }): Readable;
  /** Its size in bytes (null when it cannot be told). */
  size(): Promise<number | null>;
}

/** A piece of the result in `FormatWriter.layout`: bytes of the format's own, or a part (by its index). */
export type FileSegment = { bytes: Buffer } | { part: number; start?: number; end?: number };

export interface AssembleInput {
  fields: readonly ResourceField[];
  language: string;
  /** Rows in the parts (the export's collected_count; XLSX numbers them from 0): a sheet declares its dimension. */
  rows: number;
  /** The parts, in page order. */
  parts: () => AsyncIterable<PartFile>;
  /** The parts' total size in bytes, when known (an XLSX sheet then knows whether it needs ZIP64). */
  partsBytes?: number;
}

/**
 * One row, as the fields of PostgreSQL's COPY CSV output (see `RowFields`: raw values — digits, `t`/`f`, text,
 * JSON text, ISO or serial date-times), → the row's bytes in a part, written to `out`. Throws for a row that
 * cannot be serialised (what it wrote is then dropped).
 */
export type RowEncoder = (row: RowFields, out: ByteWriter) => void;

/**
 * A fast path for whole COPY lines: encodes the line `src[s..e)` (one row, its `\n` at `e - 1`) into `out` in
 * one pass and returns the row's id, or returns -1 having written nothing when the row needs the general
 * path (parsed into fields, then the `RowEncoder`), which gives the same bytes.
 */
export type LineEncoder = (src: Buffer, s: number, e: number, out: ByteWriter) => number;

/**
 * One export format: how a row becomes part of a page's part, and how parts become the file. Pages are
 * read with COPY and their raw values go through `rowEncoder`; `encodePage` encodes rows read as JS values
 * through the same encoder, so both give the same bytes.
 */
export interface FormatWriter {
  format: ExportFormat;
  extension: string;
  contentType: string;
  /** How date-times reach the row encoder. */
  datetime: DatetimeForm;
  /**
   * Booleans as COPY reads them: `t`/`f` (PostgreSQL's own), or the words `true`/`false` (computed in SQL, so
   * that a CSV or JSON row can be copied as it is). Row encoders accept both.
   */
  booleans: "tf" | "words";
  /**
   * A row encoder for one page. `firstRow` is the 0-based index, in the whole export, of the page's first
   * row (XLSX numbers its rows); the encoder counts from there, one per row it encodes.
   */
  rowEncoder(fields: readonly ResourceField[], firstRow: number): RowEncoder;
  /**
   * Where a page's encoded bytes go on their way into its part (e.g. a deflate segment); none: the part is
   * the encoded bytes. `firstRow` as for `rowEncoder`.
   */
  partStages?(firstRow: number): Transform[];
  /**
   * The format's `LineEncoder` for rows of `columns` COPY columns (the fields, then the id unless `idColumn`
   * is one of them), if it has one.
   */
  lineEncoder?(fields: readonly ResourceField[], columns: number, idColumn: number): LineEncoder | null;
  /** How many rows a page starting at `firstRow` may read, at most `pageSize` (e.g. up to a sheet's end). */
  pageLimit?(firstRow: number, pageSize: number): number;
  encodePage(
    fields: readonly ResourceField[],
    rows: readonly Record<string, unknown>[],
    firstRow?: number,
  ): EncodedPage;
  assemble(out: Writable, input: AssembleInput): Promise<void>;
  /**
   * The same file as `assemble` writes, given as the parts (or ranges of them) in order between bytes of the
   * format's own: storage composes it without copying the parts. Formats without it, or that answer null for
   * these parts, are copied by `assemble`.
   */
  layout?(input: AssembleInput): Promise<FileSegment[] | null>;
}

/** Encodes rows one by one, so a row that cannot be serialised is skipped and counted, not fatal. */
export function encodeRows<T>(
  rows: readonly Record<string, unknown>[],
  encode: (row: Record<string, unknown>) => T,
) {
  const out: T[] = [];
  let failed = 0;
  for (const row of rows) {
    try {
      out.push(encode(row));
    } catch {
      failed++;
    }
  }
  return { encoded: out, failed };
}

/**
 * `encodePage` for any format: JS values → raw values → the bytes COPY would print → the same row encoder the
 * COPY path uses, so both paths give the same bytes. A row whose values cannot be serialised (a BigInt inside
 * JSON, an invalid date) is skipped before it takes a row number.
 */
export function encodePageWith(
  writer: Pick<FormatWriter, "datetime" | "rowEncoder">,
  fields: readonly ResourceField[],
  rows: readonly Record<string, unknown>[],
  firstRow = 0,
): EncodedPage {
  const { encoded: raw, failed } = encodeRows(rows, (row) => {
    const values = fields.map((f) => rawValue(f.type, row[f.name], writer.datetime));
    // Validate the whole row before it is counted: JSON cells must parse back.
    for (let i = 0; i < fields.length; i++) {
      const v = values[i];
      if (fields[i]?.type === "json" && v !== null && v !== undefined) JSON.parse(v);
    }
    return values;
  });
  const encoder = new CopyRowEncoder(fields.length + 1, writer.rowEncoder(fields, firstRow));
  const data = encoder.encodeAll(copyLines(raw)).toString("utf8");
  return { data, written: encoder.written, failed: failed + encoder.failed };
}
