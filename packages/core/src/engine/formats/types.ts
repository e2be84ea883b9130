import type { Readable, Transform } from "node:stream";
import type { ResourceField } from "../../resources/types";
import type { ByteWriter, RowFields } from "./bytes";
import type { DatetimeForm } from "./cells";

/** A committed part, read by the assembly. */
export interface PartFile {
  /** Its bytes, or those from `range.start` up to `range.end` (exclusive). */
  read(range?: { start: number; end: number }): Readable;
  /** Null when it cannot be told. */
  size(): Promise<number | null>;
}

/** A piece of the result in `FormatWriter.layout`: bytes of the format's own, or a part (by its index). */
export type FileSegment = { bytes: Buffer } | { part: number; start?: number; end?: number };

export interface AssembleInput {
  fields: readonly ResourceField[];
  language: string;
  /** Rows in the parts (collected_count): a sheet declares its dimension. */
  rows: number;
  parts: () => AsyncIterable<PartFile>;
}

/**
 * A row's raw values as COPY prints them (`RowFields`) → its bytes in a part, written to `out`. Throws for a
 * row that cannot be serialised (what it wrote is dropped).
 */
export type RowEncoder = ((row: RowFields, out: ByteWriter) => void) & {
  /**
   * Makes the encoder go on at data row `firstRow` (XLSX: the row numbers it writes). A run of pages reuses one
   * encoder, restarted before each page (steps/copy-run.ts): one made anew per page runs unoptimized until V8
   * warms it up again. An encoder that keeps no per-page state needs none.
   */
  restart?(firstRow: number): void;
  /**
   * A `LineEncoder` that shares this encoder's state (XLSX: its row numbers), for a COPY of `columns` columns
   * (the fields, then the id unless it is field `idColumn`): for a format whose line encoder cannot be made once
   * per shape (`FormatWriter.lineEncoder`). The same one for the same columns.
   */
  line?(columns: number, idColumn: number): LineEncoder | null;
};

/**
 * A fast path for a whole COPY line `src[s..e)`: encodes it into `out` in one pass and returns the row's id, or
 * -1, having written nothing, when the row needs the `RowEncoder` (which gives the same bytes).
 */
export type LineEncoder = (src: Buffer, s: number, e: number, out: ByteWriter) => number;

/** One export format: how a page's rows become its part, and how the parts become the file. */
export interface FormatWriter {
  extension: string;
  contentType: string;
  /** How date-times reach the row encoder. */
  datetime: DatetimeForm;
  /**
   * The IANA zone date-times are written in (the `timezone` option), or none: UTC as today. The COPY then prints
   * them with their offset in it (`sessionSettings`), or, as serial days, as its local wall clock.
   */
  zone?: string | null;
  /** SQL the COPY's transaction runs first (`set local …`). */
  sessionSettings?: string;
  /** A page's row encoder; `firstRow`: the page's first row's index in the export (XLSX numbers rows). */
  rowEncoder(fields: readonly ResourceField[], firstRow: number): RowEncoder;
  /** A `LineEncoder` for `columns` COPY columns (the fields, then the id unless it is field `idColumn`). */
  lineEncoder?(fields: readonly ResourceField[], columns: number, idColumn: number): LineEncoder | null;
  /** Stages between a page's encoded bytes and its part (XLSX: a deflate segment). */
  partStages?(firstRow: number): Transform[];
  /** Rows a page starting at `firstRow` may read, at most `pageSize` (XLSX: up to its sheet's end). */
  pageLimit?(firstRow: number, pageSize: number): number;
  /**
   * The file's head, where the file is its head, its parts one after the other and bytes of its own after the
   * last (CSV, JSON): its pages may then be written straight as parts of the result's upload (direct mode,
   * steps/direct.ts), the first page after it.
   */
  directHead?(fields: readonly ResourceField[], language: string): Buffer;
  /**
   * The bytes every part ends with that the layout cuts from the last one (JSON's row separator, or its gzip
   * member): in direct mode a page holds them back and the next page starts with them (steps/direct.ts).
   */
  directSeparator?: Buffer;
  /**
   * Direct mode where the bytes before the first page depend on the whole export (XLSX: the ZIP entry's header,
   * the sheet's `<dimension>`): the export's first page is a part object, which the assembly sends after those
   * bytes as part 1 (reserved); later pages go direct, each holding back its last `trailer` bytes (the segment
   * trailer: recorded, not in the file). Only pages of the first `maxRows` rows (the first sheet: no bytes of the
   * format's own between them), and only if the first page is at least a minimum part (steps/direct.ts).
   */
  directAfterFirst?: { trailer: number; maxRows: number };
  /** The file as the parts (or ranges of them) between bytes of its own: storage composes it, no copy. */
  layout(input: AssembleInput): Promise<FileSegment[]>;
}
