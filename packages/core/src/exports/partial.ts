import { createHash } from "node:crypto";
import path from "node:path";
import { Readable } from "node:stream";
import { eq } from "drizzle-orm";
import type { Actor } from "../auth/actor";
import type { Db } from "../db/client";
import { type ExportRow, exports } from "../db/schema";
import { writerOf } from "../engine/formats";
import type { PartFile } from "../engine/formats/types";
import { exportScope } from "../engine/scope";
import { resultKeyOf } from "../engine/steps/result-name";
import { conflict, DomainError } from "../errors";
import { isDirectEntry, type Storage } from "../storage";
import { type ExportDownload, gone } from "./download";
import { findExportRecord } from "./service";

/**
 * `GET /api/v1/exports/{id}/download/?partial=true` (issue 17): what a failed export had committed, as a file of
 * its format. The engine's own assembly layout (the format's bytes around its recorded parts, an XLSX's ZIP
 * headers and directory included, so a partial workbook is a valid one) is streamed straight from the parts,
 * never stored: nothing is written, so a later retry finds the export exactly as it failed. Only recorded parts are
 * read (the export's `uploaded_parts`), so the file holds whole pages, each row once.
 */

/** A stretch of the partial file: bytes of the format's own, or bytes of a stored part. */
type Piece = { bytes: Buffer } | { key: string; start: number; end: number };

const pieceLength = (p: Piece) => ("bytes" in p ? p.bytes.length : p.end - p.start);

/** The file's name: the result's, with `-partial` before its extension (`…-1a2b3c4d-partial.csv`). */
export function partialFilename(resultName: string): string {
  const dot = resultName.indexOf(".");
  return dot < 0 ? `${resultName}-partial` : `${resultName.slice(0, dot)}-partial${resultName.slice(dot)}`;
}

function assertPartialAvailable(row: ExportRow) {
  if (row.status !== "failed") {
    throw conflict(
      `Only a failed export offers what it collected (status: ${row.status}); a completed one is downloaded whole.`,
    );
  }
  if (row.purgedAt !== null || (row.expiresAt !== null && row.expiresAt.getTime() <= Date.now())) {
    throw new DomainError("GONE", "The export expired: what it had collected is deleted.");
  }
  if (row.uploadedParts.length === 0) {
    throw conflict("The export failed before it collected any rows: there is nothing to download.");
  }
  if (row.uploadedParts.some(isDirectEntry)) {
    // Direct mode (S3): the pages are parts of the result's unfinished multipart upload, which S3 does not
    // let anyone read before it completes (and completing it would end what a retry goes on with).
    throw conflict(
      "This export's pages were written straight into its result's upload on the object store, which cannot be read before it completes: retry the export to get the whole file.",
    );
  }
}

/** The partial file of a failed export the actor may see (404 otherwise), ready to stream. */
export async function openPartialDownload(
  db: Db,
  storage: Storage,
  actor: Actor,
  id: string,
): Promise<ExportDownload> {
  const visible = await findExportRecord(db, actor, id);
  const [row] = await db.select().from(exports).where(eq(exports.id, visible.id));
  if (!row) throw gone();
  assertPartialAvailable(row);
  const writer = writerOf(row);
  const entries = row.uploadedParts;
  const sizes = await Promise.all(entries.map((key) => storage.size(key)));
  if (sizes.some((s) => s === null)) throw gone();
  const parts: PartFile[] = entries.map((key, i) => ({
    read: (range) => storage.read(key, range),
    size: async () => sizes[i] ?? null,
  }));
  const layout = await writer.layout({
    fields: exportScope(row).fields,
    language: row.language,
    rows: row.collectedCount,
    parts: async function* () {
      yield* parts;
    },
  });
  const pieces: Piece[] = layout.map((s) => {
    if ("bytes" in s) return s;
    const key = entries[s.part];
    const size = sizes[s.part];
    if (key === undefined || size === undefined || size === null) throw new Error(`no part ${s.part}`);
    return { key, start: s.start ?? 0, end: s.end ?? size };
  });
  const size = pieces.reduce((n, p) => n + pieceLength(p), 0);
  const version = createHash("sha256")
    .update(`partial\u0000${entries.join("\u0000")}\u0000${size}`)
    .digest("base64url")
    .slice(0, 32);
  return {
    read: (range) => Readable.from(readPieces(storage, pieces, range ?? { start: 0, end: size })),
    size,
    filename: partialFilename(path.posix.basename(resultKeyOf(row).key)),
    contentType: writer.contentType,
    version,
  };
}

/** The bytes `range` of the pieces laid end to end, each part read only over what the range takes of it. */
async function* readPieces(
  storage: Storage,
  pieces: readonly Piece[],
  range: { start: number; end: number },
): AsyncGenerator<Buffer> {
  let offset = 0;
  for (const piece of pieces) {
    const length = pieceLength(piece);
    const from = Math.max(range.start - offset, 0);
    const to = Math.min(range.end - offset, length);
    offset += length;
    if (to <= from) continue;
    if ("bytes" in piece) {
      yield piece.bytes.subarray(from, to);
      continue;
    }
    for await (const chunk of storage.read(piece.key, { start: piece.start + from, end: piece.start + to })) {
      yield chunk as Buffer;
    }
    if (offset >= range.end) return;
  }
}
