import { sql } from "drizzle-orm";
import { type ExportRow, exports } from "../../db/schema";
import { type DirectUpload, isDirectEntry, MAX_PART_NUMBER, type ReservePartNumbers } from "../../storage";
import { type FormatWriter, writerOf } from "../formats";
import { pageRows } from "../page-size";
import { exportScope } from "../scope";
import { resultKeyOf } from "./result-name";
import { held, type StepDeps } from "./shared";

/**
 * Direct mode (storage/direct.ts): an export to a store that can (S3) in a format whose file is its head, its
 * pages and bytes of its own after them (CSV, JSON, gzip or not) writes its pages as parts of the result's own
 * multipart upload, begun when it starts; the assembly completes it, with the pages written as part objects
 * (under the minimum part) and the file's end sent after (assemble-direct.ts). JSON's pages end with a row
 * separator the file drops after the last row: a page holds it back (recorded in its entry, not uploaded) and the
 * next page's first part starts with it, so the last page's can be left out without rewriting a part.
 */

/**
 * The fewest bytes a CSV row is taken to have when the start decides: pages expected under the minimum part
 * (an export of one narrow column, small pages) keep to part objects. A wrong guess costs speed, not rows: a
 * page that ends under the minimum is a part object anyway.
 */
const MIN_ROW_BYTES = 64;

export function directUploadOf(row: Pick<ExportRow, "directKey" | "directUpload">): DirectUpload | null {
  return row.directKey && row.directUpload ? { key: row.directKey, uploadId: row.directUpload } : null;
}

/**
 * Before the first page is recorded, once: begins the result's upload and records it (a guarded update) when
 * direct mode fits. Null when the export stopped being ours (the upload is then aborted).
 */
export async function beginDirect(deps: StepDeps, row: ExportRow, owner: string): Promise<ExportRow | null> {
  const direct = deps.storage.direct;
  const writer = writerOf(row);
  if (!direct || !hasDirectMode(writer) || row.status === "preparing_file_creation") return row;
  if (pageRows(deps.config, row) * MIN_ROW_BYTES < direct.minPart) return row;
  const { key } = resultKeyOf(row);
  const uploadId = await direct.begin(key);
  // XLSX: part 1 is kept for the bytes before the first page (assemble-direct.ts).
  const firstPart = writer.directAfterFirst ? { nextPart: 2 } : {};
  const [updated] = await deps.db
    .update(exports)
    .set({ directKey: key, directUpload: uploadId, ...firstPart, modifiedDate: sql`${exports.modifiedDate}` })
    .where(held(row, owner))
    .returning();
  if (!updated) await direct.abort({ key, uploadId });
  return updated ?? null;
}

/**
 * Part numbers for a claim: a guarded update takes `k` from `next_part`, so every write gets fresh numbers, above
 * those of every write before it; a claim lost takes none. Throws past S3's 10,000.
 */
export function partNumbers(deps: Pick<StepDeps, "db">, row: ExportRow, owner: string): ReservePartNumbers {
  // Bookkeeping, not a change anyone sees: modified_date stays.
  return async (k) => {
    const [taken] = await deps.db
      .update(exports)
      .set({ nextPart: sql`${exports.nextPart} + ${k}`, modifiedDate: sql`${exports.modifiedDate}` })
      .where(held(row, owner))
      .returning({ next: exports.nextPart });
    if (!taken) throw new Error("the export was taken away while writing");
    const first = taken.next - k;
    if (taken.next - 1 > MAX_PART_NUMBER) {
      throw new Error(
        `the export's result upload has used its ${MAX_PART_NUMBER} part numbers (S3's limit): it cannot be written directly`,
      );
    }
    return first;
  };
}

export const hasDirectMode = (writer: FormatWriter) => !!(writer.directHead || writer.directAfterFirst);

/**
 * How a run's pages are written: directly (its upload, the head for the export's first page, the separator every
 * page holds back and the next one starts with, or the number of bytes it holds back), or not. `afterFirst`
 * (XLSX): the export's first page is a part object, and the pages after it go direct only if `afterFirst` says
 * so, given the first page's size (in a run that starts with it; decided here otherwise). A page starting at row
 * `until` or after (XLSX: past the first sheet, whose end and the next sheet's head come between the pages) is a
 * part object, and so are the pages after it: the assembly sends the format's bytes between them.
 */
export interface DirectPlan {
  upload: DirectUpload;
  reserve: ReservePartNumbers;
  head: Buffer | null;
  separator: Buffer;
  hold: Buffer | number;
  afterFirst: ((firstPageBytes: number) => boolean) | null;
  until: number;
}

/**
 * Direct mode for a run starting at `row`: off once a page was recorded as a part object (but XLSX's first), so
 * that direct parts are only ever followed by direct parts or by the parts the assembly sends (none under the
 * minimum between).
 */
export async function directPlan(deps: StepDeps, row: ExportRow, owner: string): Promise<DirectPlan | null> {
  const upload = directUploadOf(row);
  const writer = writerOf(row);
  const direct = deps.storage.direct;
  if (!upload || !direct || !hasDirectMode(writer)) return null;
  const entries = row.uploadedParts;
  const reserve = partNumbers(deps, row, owner);
  const after = writer.directAfterFirst;
  if (!after) {
    if (entries.some((entry) => !isDirectEntry(entry))) return null;
    const head = writer.directHead?.(exportScope(row).fields, row.language) ?? null;
    const separator = writer.directSeparator ?? Buffer.alloc(0);
    return { upload, reserve, head, separator, hold: separator, afterFirst: null, until: Infinity };
  }
  const plan = {
    upload,
    reserve,
    head: null,
    separator: Buffer.alloc(0),
    hold: after.trailer,
    until: after.maxRows,
  };
  // The first page is a part object (its size known once written); the pages after it go direct if it makes, with
  // the bytes before it, a part of at least the minimum (part 1). Else the upload is dropped at the assembly.
  const fits = (firstPageBytes: number) => firstPageBytes - after.trailer >= direct.minPart;
  const [first, ...rest] = entries;
  if (first === undefined) return { ...plan, afterFirst: fits };
  if (isDirectEntry(first) || rest.some((entry) => !isDirectEntry(entry))) return null;
  if (rest.length > 0) return { ...plan, afterFirst: null };
  // Only the first page so far, recorded by an earlier run: decided now.
  const size = await deps.storage.size(first);
  return size !== null && fits(size) ? { ...plan, afterFirst: null } : null;
}
