import type { Readable, Transform } from "node:stream";
import type { ResourceField } from "../../resources/types";
import type { ByteWriter, RowFields } from "./bytes";
import type { DatetimeForm } from "./cells";

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
  /** Rows in the parts (the export's collected_count): a sheet declares its dimension. */
  rows: number;
  /** The parts, in page order. */
  parts: () => AsyncIterable<PartFile>;
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
 * One export format: how a page's rows become its part, and how the parts become the file. Rows read with
 * COPY and rows read as JS values (`encodePage`) go through the same `rowEncoder`, so both give the same bytes.
 */
export interface FormatWriter {
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
   * The format's `LineEncoder` for rows of `columns` COPY columns (the fields, then the id unless `idColumn`
   * is one of them), if it has one.
   */
  lineEncoder?(fields: readonly ResourceField[], columns: number, idColumn: number): LineEncoder | null;
  /** Where a page's encoded bytes go on their way into its part (e.g. a deflate segment); none: as they are. */
  partStages?(firstRow: number): Transform[];
  /** How many rows a page starting at `firstRow` may read, at most `pageSize` (e.g. up to a sheet's end). */
  pageLimit?(firstRow: number, pageSize: number): number;
  /**
   * The file, as the parts (or ranges of them) in order between bytes of the format's own: storage composes it
   * without copying the parts.
   */
  layout(input: AssembleInput): Promise<FileSegment[]>;
}
