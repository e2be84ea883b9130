import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where files live: a local folder, or a bucket (and key prefix) of an S3-API server. */
export type StorageLocation = { kind: "file"; dir: string } | { kind: "s3"; bucket: string; prefix: string };

/** S3's bucket naming rules (3–63 characters: lower-case letters, digits, dots, hyphens). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * `file:///abs/path` or `s3://bucket/optional/prefix` → a location, or the reason it is not one (env.ts shows
 * it under STORAGE_URL).
 */
export function parseStorageUrl(url: string): StorageLocation | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "must be file:///absolute/path or s3://bucket[/prefix]";
  }
  if (parsed.protocol === "file:") {
    if (parsed.host !== "") return "a file: URL names a local folder: file:///absolute/path";
    return { kind: "file", dir: path.resolve(fileURLToPath(parsed)) };
  }
  if (parsed.protocol === "s3:") {
    if (!BUCKET.test(parsed.hostname)) return `"${parsed.hostname}" is not a valid bucket name`;
    if (parsed.search || parsed.hash || parsed.username || parsed.port) {
      return "s3://bucket/prefix takes no port, credentials, query or fragment (credentials come from AWS_*)";
    }
    // The URL parser has already resolved any `.` or `..` segment of the prefix.
    const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, "");
    return { kind: "s3", bucket: parsed.hostname, prefix };
  }
  return "must be file:///absolute/path or s3://bucket[/prefix]";
}

/** How a location is named in messages. */
export function describeLocation(location: StorageLocation): string {
  return location.kind === "file"
    ? location.dir
    : `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ""}`;
}
