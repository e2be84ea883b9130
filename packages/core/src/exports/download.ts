import { createHash } from "node:crypto";
import path from "node:path";
import type { Readable } from "node:stream";
import type { Actor } from "../auth/actor";
import type { Db } from "../db/client";
import { writerOf } from "../engine/formats";
import { conflict, DomainError } from "../errors";
import type { Storage } from "../storage";
import { findExportRecord } from "./service";

export interface ExportDownload {
  /** The file's bytes, or those from `range.start` up to `range.end` (exclusive); opened lazily. */
  read(range?: { start: number; end: number }): Readable;
  size: number;
  /** The result's own, e.g. `products-export-20250101-120000-1a2b3c4d.csv`. */
  filename: string;
  contentType: string;
  /** These exact bytes' name (the door's strong ETag): the result's key names one assembly, plus its size. */
  version: string;
  /** Where the storage can serve it itself (an object store): a URL valid for `seconds`. */
  presignedUrl?: (seconds: number, disposition: string) => Promise<string>;
}

export const gone = () => new DomainError("GONE", "The export file is no longer available.");

/**
 * `GET /api/v1/exports/{id}/download/` (SPEC §3): a completed export's file, with retrieve's visibility. Not
 * completed: a conflict; expired or gone from storage: GONE.
 */
export async function openDownload(
  db: Db,
  storage: Storage,
  actor: Actor,
  id: string,
): Promise<ExportDownload> {
  const row = await findExportRecord(db, actor, id);
  if (row.status !== "completed") throw conflict(`Export is not completed (status: ${row.status}).`);
  // expiresAt is the ISO text toISOString() would give (exports/serialize.ts).
  if (row.expiresAt && Date.parse(row.expiresAt) <= Date.now()) {
    throw new DomainError("GONE", `The export file expired on ${row.expiresAt}.`);
  }
  if (!row.resultKey) throw gone();
  const size = await storage.size(row.resultKey);
  if (size === null) throw gone();
  const key = row.resultKey;
  const contentType = writerOf(row).contentType;
  const presign = storage.presignedUrl?.bind(storage);
  return {
    read: (range) => storage.read(key, range),
    size,
    filename: path.posix.basename(key),
    contentType,
    version: createHash("sha256").update(`${key}\u0000${size}`).digest("base64url").slice(0, 32),
    presignedUrl: presign && ((seconds, disposition) => presign(key, seconds, { disposition, contentType })),
  };
}
