import path from "node:path";
import type { Env } from "../env";
import { LocalStorage } from "./local";
import type { Storage } from "./types";

export { LocalStorage } from "./local";
export type { PendingFile, Segment, Storage } from "./types";

export function storageFromEnv(env: Env): Storage {
  return new LocalStorage(path.resolve(env.STORAGE_DIR ?? path.join(env.DATA_DIR, "storage")));
}

/** Key layout, in one place. */
export const keys = {
  partsPrefix: (exportId: string) => `parts/${exportId}`,
  part: (exportId: string, page: number, claim: string) =>
    `parts/${exportId}/${String(page).padStart(6, "0")}-${claim}.part`,
  resultPrefix: (exportId: string) => `results/${exportId}`,
  /** One assembly's result: a worker that lost the export removes its own, never the one that completed it. */
  result: (exportId: string, attempt: string, filename: string) =>
    `results/${exportId}/${attempt}/${filename}`,
  resultAttempt: (exportId: string, attempt: string) => `results/${exportId}/${attempt}`,
  uploadPrefix: (exportId: string) => `uploads/${exportId}`,
  upload: (exportId: string, filename: string) => `uploads/${exportId}/${filename}`,
};
