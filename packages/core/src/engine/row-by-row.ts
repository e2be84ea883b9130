import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { asc, sql } from "drizzle-orm";
import { selection } from "../resources/serialize";
import type { ResourceField } from "../resources/types";
import { keys } from "../storage";
import { PageRows } from "./copy/parse";
import { PAGE_PLAN_SETTINGS } from "./copy/query";
import { writerOf } from "./formats";
import { rawValue } from "./formats/cells";
import type { FormatWriter } from "./formats/types";
import type { PageRead, PageStep, StepDeps } from "./steps/shared";

/**
 * The row-by-row path, for a column with no exact COPY form: rows read as JS values, printed as COPY would
 * print them, and encoded by the format's row encoder, so both paths give the same bytes.
 */

export interface EncodedPage {
  data: string;
  written: number;
  /** Rows that could not be serialised: skipped and counted in fail_count, never fatal. */
  failed: number;
}

/** A raw value as COPY's CSV prints it (NULL empty, an empty string and specials quoted). */
function copyField(value: string | null): string {
  if (value === null) return "";
  if (value === "" || value === "\\." || /[",\r\n]/.test(value)) return `"${value.replaceAll('"', '""')}"`;
  return value;
}

/** Rows of raw values → the bytes COPY would print for them (with a 0 id column), for `PageRows.encodeAll`. */
export function copyLines(rows: readonly (readonly (string | null)[])[]): Buffer {
  let text = "";
  for (const values of rows) text += `${values.map(copyField).join(",")}${values.length ? "," : ""}0\n`;
  return Buffer.from(text, "utf8");
}

/**
 * A page of JS rows in a format. A row that cannot be serialised (a BigInt inside JSON, an invalid date) is
 * skipped before it takes a row number.
 */
export function encodePage(
  writer: Pick<FormatWriter, "datetime" | "rowEncoder" | "zone">,
  fields: readonly ResourceField[],
  rows: readonly Record<string, unknown>[],
  firstRow = 0,
): EncodedPage {
  const raw: (string | null)[][] = [];
  let failed = 0;
  for (const row of rows) {
    try {
      const values = fields.map((f) => rawValue(f.type, row[f.name], writer.datetime, writer.zone ?? null));
      // The whole row is checked before it is counted: JSON cells must parse back.
      for (let i = 0; i < fields.length; i++) {
        const v = values[i];
        if (fields[i]?.type === "json" && v !== null && v !== undefined) JSON.parse(v);
      }
      raw.push(values);
    } catch {
      failed++;
    }
  }
  const encoder = new PageRows(fields.length + 1, writer.rowEncoder(fields, firstRow));
  const data = encoder.encodeAll(copyLines(raw)).toString("utf8");
  return { data, written: encoder.written, failed: failed + encoder.failed };
}

/** Reads up to `limit` rows of the page into its part. */
export async function readPageIntoPart(
  deps: Pick<StepDeps, "db" | "storage">,
  { row, scope, keyset }: Pick<PageStep, "row" | "scope" | "keyset">,
  limit: number,
): Promise<PageRead> {
  const idColumn = scope.resource.idColumn;
  const rows = (await deps.db.transaction(async (tx) => {
    await tx.execute(sql.raw(PAGE_PLAN_SETTINGS));
    return tx
      .select({ ...selection(scope.fields), __id: idColumn })
      .from(scope.resource.table)
      .where(keyset)
      .orderBy(asc(idColumn))
      .limit(limit);
  })) as Array<Record<string, unknown> & { __id: number }>;
  const writer = writerOf(row);
  const encoded = encodePage(writer, scope.fields, rows, row.collectedCount);
  let partKey: string | null = null;
  if (encoded.written > 0) {
    const key = keys.part(row.id, row.page);
    const file = await deps.storage.create(key);
    try {
      await pipeline([
        Readable.from([Buffer.from(encoded.data, "utf8")]),
        ...(writer.partStages?.(row.collectedCount) ?? []),
        file.stream,
      ]);
    } catch (err) {
      await file.abort();
      throw err;
    }
    await file.commit();
    partKey = key;
  }
  return {
    rows: rows.length,
    written: encoded.written,
    failed: encoded.failed,
    lastId: rows.at(-1)?.__id ?? null,
    partKey,
  };
}
