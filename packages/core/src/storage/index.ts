import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Faults } from "../engine/faults";
import type { Env } from "../env";
import { LocalStorage } from "./local";
import type { Storage } from "./types";

export { BINDING_KEY, bindStorage, installationId, StorageBindingError } from "./binding";
export { LocalStorage } from "./local";
export type { PendingFile, Segment, Storage } from "./types";

/** The storage folder of this configuration (STORAGE_DIR, default DATA_DIR/storage). */
export function storageDirOf(env: Env): string {
  return path.resolve(env.STORAGE_DIR ?? path.join(env.DATA_DIR, "storage"));
}

export function storageFromEnv(env: Env, options: { faults?: Faults } = {}): Storage {
  return new LocalStorage(storageDirOf(env), options);
}

/** Key layout, in one place. */
export const keys = {
  partsPrefix: (exportId: string) => `parts/${exportId}`,
  /**
   * A page's part: a name of its own for every write (a random suffix), so a page redone by another worker (or
   * after a lost lease) never overwrites bytes that a committed record names.
   */
  part: (exportId: string, page: number) =>
    `parts/${exportId}/${String(page).padStart(6, "0")}-${randomBytes(6).toString("hex")}.part`,
  resultPrefix: (exportId: string) => `results/${exportId}`,
  /** One assembly's result: a worker that lost the export removes its own, never the one that completed it. */
  result: (exportId: string, attempt: string, filename: string) =>
    `results/${exportId}/${attempt}/${filename}`,
  resultAttempt: (exportId: string, attempt: string) => `results/${exportId}/${attempt}`,
  uploadPrefix: (exportId: string) => `uploads/${exportId}`,
  upload: (exportId: string, filename: string) => `uploads/${exportId}/${filename}`,
};
