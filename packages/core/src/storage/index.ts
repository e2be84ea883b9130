import { randomBytes } from "node:crypto";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import type { Faults } from "../engine/faults";
import type { Env } from "../env";
import { LocalStorage } from "./local";
import { parseStorageUrl, type StorageLocation } from "./location";
import { S3Storage } from "./s3/storage";
import type { Storage } from "./types";

export { BINDING_KEY, bindStorage, installationId, StorageBindingError } from "./binding";
export {
  type DirectPage,
  type DirectPart,
  type DirectStorage,
  type DirectTail,
  type DirectUpload,
  decodeDirectPage,
  isDirectEntry,
  MAX_PART_NUMBER,
  type PendingPage,
  type ReservePartNumbers,
} from "./direct";
export { LocalStorage } from "./local";
export { describeLocation, parseStorageUrl, type StorageLocation } from "./location";
export { StorageUnavailableError } from "./s3/errors";
export { S3Storage } from "./s3/storage";
export type { PendingFile, Segment, Storage } from "./types";

/** Where this configuration keeps its files: STORAGE_URL, else the folder STORAGE_DIR, else DATA_DIR/storage. */
export function storageLocationOf(env: Env): StorageLocation {
  const location = env.STORAGE_URL ? parseStorageUrl(env.STORAGE_URL) : null;
  if (typeof location === "string") throw new Error(`STORAGE_URL: ${location}`);
  return (
    location ?? { kind: "file", dir: path.resolve(env.STORAGE_DIR ?? path.join(env.DATA_DIR, "storage")) }
  );
}

/**
 * Checksums only where an operation requires one (the SDK's AWS_REQUEST_CHECKSUM_CALCULATION and
 * AWS_RESPONSE_CHECKSUM_VALIDATION still override it): the default CRC-32 of every body cost ~45% of an upload's
 * time and ~35% of a download's against the test server (60 MB: 955 → 528 ms, 471 → 295 ms). Integrity on the
 * wire is TLS's (https endpoints) and the object's size is checked on every commit.
 */
export function s3ChecksumSettings() {
  const env = process.env;
  return {
    ...(env.AWS_REQUEST_CHECKSUM_CALCULATION ? {} : { requestChecksumCalculation: "WHEN_REQUIRED" as const }),
    ...(env.AWS_RESPONSE_CHECKSUM_VALIDATION ? {} : { responseChecksumValidation: "WHEN_REQUIRED" as const }),
  };
}

/**
 * No `Expect: 100-continue`: the SDK adds it to every request with a body of 2 MB or more (every part), and its
 * Node handler then sends that request on a new connection of its own, without keep-alive: a fresh TCP (and TLS)
 * connection per part, and a round trip before the body. What it would save, a body sent to a server that then
 * refuses it, only happens on a failure. (On loopback the difference was within the bench's noise.)
 */
export const S3_CONNECTION_SETTINGS = { expectContinueHeader: false } as const;

/**
 * An S3 client configured by the AWS SDK's own environment (AWS_REGION, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, profiles…), plus S3_FORCE_PATH_STYLE. Requests
 * give up on a silent server (connection 5 s, socket idle 60 s) instead of hanging a step or a request; the SDK
 * retries network errors and 5xx three times.
 */
export function s3ClientFromEnv(env: Env): S3Client {
  // The SDK warns at every start that its releases after January 2027 need Node 22; this project pins the
  // locked version (README) and runs on Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return new S3Client({
    forcePathStyle: env.S3_FORCE_PATH_STYLE === "1",
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    ...s3ChecksumSettings(),
    ...S3_CONNECTION_SETTINGS,
  });
}

export function storageFromEnv(env: Env, options: { faults?: Faults } = {}): Storage {
  const location = storageLocationOf(env);
  if (location.kind === "file") return new LocalStorage(location.dir, options);
  return new S3Storage(s3ClientFromEnv(env), location.bucket, location.prefix, {
    ...options,
    minPart: env.S3_TEST_MIN_PART_BYTES,
  });
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
