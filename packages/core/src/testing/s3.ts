import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { S3_CONNECTION_SETTINGS, s3ChecksumSettings } from "../storage";
import { LocalStorage } from "../storage/local";
import { S3Storage } from "../storage/s3/storage";
import type { Storage } from "../storage/types";

/** The AWS SDK environment that points a process at the test S3 server (s3rver accepts any key). */
export function s3Env(endpoint: string): Record<string, string> {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_ENDPOINT_URL_S3: endpoint,
    S3_FORCE_PATH_STYLE: "1",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

export interface S3ServerProcess {
  endpoint: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts s3rver as a process of its own on `address` (loopback by default), objects in a fresh folder. */
export async function startS3Server(address = "127.0.0.1", port = 0): Promise<S3ServerProcess> {
  const folder = mkdtempSync(path.join(os.tmpdir(), "exports-s3rver-"));
  const child = spawn(
    process.execPath,
    [path.join(import.meta.dirname, "s3-server.mjs"), folder, address, String(port)],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += String(d);
      const m = /listening on (\S+):(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}:${m[2]}`);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`s3rver exited (${code}):\n${out}`)));
  });
  // A server that dies mid-run fails every later test with ECONNREFUSED: say why it died, once, where it shows.
  let stopping = false;
  child.once("exit", (code, signal) => {
    if (!stopping) console.error(`s3rver exited unexpectedly (${code ?? signal}):\n${out.slice(-8192)}`);
  });
  return {
    endpoint,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        stopping = true;
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** A client of the test server, configured as s3ClientFromEnv would be by `s3Env`. */
export function testS3Client(endpoint: string): S3Client {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    ...s3ChecksumSettings(),
    ...S3_CONNECTION_SETTINGS,
  });
}

/** A new, empty bucket on the test server (tests share the server, not buckets); its name. */
export async function createTestBucket(
  endpoint: string,
  bucket = `exports-test-${randomBytes(6).toString("hex")}`,
): Promise<string> {
  await testS3Client(endpoint).send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/** A storage in a new bucket of the test server, under `prefix`. */
export async function testS3Storage(endpoint: string, prefix = "", options = {}): Promise<S3Storage> {
  const bucket = await createTestBucket(endpoint);
  return new S3Storage(testS3Client(endpoint), bucket, prefix, options);
}

export interface TestBackend {
  storage: Storage;
  /** The environment that points a worker or web process at the same storage. */
  env: Record<string, string>;
}

/**
 * A fresh storage of one backend for tests whose processes share it: a local folder, or a key prefix of its own
 * in `bucket` on the test S3 server (`kind` "s3", as TEST_STORAGE says in the "s3" test projects). `minPart`
 * (S3): the direct uploads' minimum part (S3_TEST_MIN_PART_BYTES), so that small pages are written directly.
 */
export function testBackend(
  kind: string | undefined,
  endpoint: string,
  bucket: string,
  options: { minPart?: number } = {},
): TestBackend {
  if (kind === "s3") {
    const prefix = `t-${randomBytes(6).toString("hex")}`;
    const { minPart } = options;
    return {
      storage: new S3Storage(testS3Client(endpoint), bucket, prefix, { minPart }),
      env: {
        STORAGE_URL: `s3://${bucket}/${prefix}`,
        ...s3Env(endpoint),
        ...(minPart ? { S3_TEST_MIN_PART_BYTES: String(minPart) } : {}),
      },
    };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "exports-backend-"));
  return { storage: new LocalStorage(dir), env: { STORAGE_DIR: dir } };
}
