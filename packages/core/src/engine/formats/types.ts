import type { Readable, Writable } from "node:stream";
import type { ExportFormat } from "../../db/schema";
import type { ResourceField } from "../../resources/types";

export interface EncodedPage {
  data: string;
  /** Rows written into the part. */
  written: number;
  /** Rows that could not be serialised: skipped and counted in fail_count, never fatal. */
  failed: number;
}

export interface AssembleInput {
  fields: readonly ResourceField[];
  language: string;
  /** The parts' contents, in page order. */
  parts: () => AsyncIterable<Readable>;
}

/** One export format: how a page becomes a part, and how parts become the file. */
export interface FormatWriter {
  format: ExportFormat;
  extension: string;
  contentType: string;
  encodePage(fields: readonly ResourceField[], rows: readonly Record<string, unknown>[]): EncodedPage;
  assemble(out: Writable, input: AssembleInput): Promise<void>;
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
