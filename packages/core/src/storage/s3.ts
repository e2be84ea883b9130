import { Readable, Transform } from "node:stream";
import { buffer } from "node:stream/consumers";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { FaultPoint, Faults } from "../engine/faults";
import { type Piece, type PlannedPart, pieceSize, planParts } from "./compose-plan";
import { safeKey } from "./keys";
import type { PendingFile, Segment, Storage } from "./types";

const MiB = 1024 * 1024;
/** S3's smallest part but the last. */
const MIN_PART = 5 * MiB;
/** Parts the worker sends: two in flight, so at most ~16 MiB of a file is in memory per upload. */
const PART_SIZE = 8 * MiB;
const QUEUE = 2;
/** S3 allows 10,000 parts per upload: larger files get larger parts. */
const MAX_PARTS = 9_000;

/** The store could not be reached or answered with a server error: a request may be repeated later. */
export class StorageUnavailableError extends Error {
  constructor(
    readonly where: string,
    cause: unknown,
  ) {
    super(`The file storage ${where} is unavailable: ${describe(cause)}`, { cause });
    this.name = "StorageUnavailableError";
  }
}

function describe(err: unknown): string {
  const e = err as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e?.$metadata?.httpStatusCode;
  return [e?.code ?? e?.name, status ? `HTTP ${status}` : null, e?.message].filter(Boolean).join(": ");
}

const statusOf = (err: unknown) =>
  (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
const isNotFound = (err: unknown) =>
  statusOf(err) === 404 || ["NotFound", "NoSuchKey"].includes((err as { name?: string })?.name ?? "");
/** An operation the server does not implement (s3rver: UploadPartCopy, ListMultipartUploads, AbortMultipartUpload). */
const isNotImplemented = (err: unknown) => statusOf(err) === 501 || statusOf(err) === 405;
/** Network errors and 5xx: the store is away (as opposed to a refusal such as 403, which is a configuration error). */
function isUnavailable(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return status >= 500 && status !== 501;
  return true;
}

export interface S3StorageOptions {
  faults?: Faults;
  /** The part size of uploads the worker sends (tests use a smaller one); at least 5 MiB. */
  partSize?: number;
}

/**
 * Parts, results and uploads as objects in a bucket (any S3-API server), under an optional key prefix. An object
 * is visible only once its upload completes (PutObject, or CompleteMultipartUpload), so a file is committed
 * whole or not at all, as a local rename is. A composed result is a multipart upload of the pieces: ranges of
 * stored objects are copied by the server (`UploadPartCopy`) where it can, else streamed through the worker
 * (servers without it, such as s3rver); either way nothing holds a file in memory.
 */
export class S3Storage implements Storage {
  /** Unknown until a copy is tried; false after the server refused one. */
  private copySupported: boolean | null = null;
  private readonly partSize: number;

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
    private readonly options: S3StorageOptions = {},
  ) {
    this.partSize = Math.max(MIN_PART, options.partSize ?? PART_SIZE);
  }

  /** `s3://bucket/prefix`, for messages. */
  get location(): string {
    return `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ""}`;
  }

  private objectKey(key: string): string {
    const safe = safeKey(key);
    return this.prefix ? `${this.prefix}/${safe}` : safe;
  }

  /** Runs a request; network errors and server errors become StorageUnavailableError. */
  private async send<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      if (isUnavailable(err) && !isNotFound(err)) throw new StorageUnavailableError(this.location, err);
      throw err;
    }
  }

  private fault(key: string, stage: "writing" | "synced" | "renamed") {
    const faults = this.options.faults;
    if (!faults) return;
    if (key.startsWith("parts/")) faults(`part.${stage}` as FaultPoint);
    else if (key.startsWith("results/") && stage !== "writing") faults(`result.${stage}` as FaultPoint);
  }

  /** Whether the bucket answers (start-up check); throws StorageUnavailableError or the server's refusal. */
  async check(): Promise<void> {
    await this.send(() => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
  }

  async create(key: string): Promise<PendingFile> {
    const Key = this.objectKey(key);
    let first = true;
    // The fault point of a part's first bytes, then the upload's body (lib-storage reads it as it comes: a
    // PutObject for a small file, a multipart upload of PART_SIZE parts for a large one).
    const stream = new Transform({
      highWaterMark: MiB,
      transform: (chunk, _encoding, done) => {
        if (first) {
          first = false;
          this.fault(key, "writing");
        }
        done(null, chunk);
      },
    });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: stream },
      partSize: this.partSize,
      queueSize: QUEUE,
    });
    // A failed upload stops the writer (whose writes would otherwise wait for a reader that is gone).
    const done = upload.done().then(
      () => null,
      (err: unknown) => {
        stream.destroy(err as Error);
        return err;
      },
    );
    let aborted = false;
    return {
      stream,
      commit: async () => {
        if (!stream.writableEnded) stream.end();
        const failure = await done;
        if (failure) {
          if (isUnavailable(failure)) throw new StorageUnavailableError(this.location, failure);
          throw failure;
        }
        if (aborted) throw new Error("upload aborted");
        // Written, durable and visible are one step here: the object exists once its upload completed.
        this.fault(key, "synced");
        this.fault(key, "renamed");
        const head = await this.send(() =>
          this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key })),
        );
        return head.ContentLength ?? 0;
      },
      abort: async () => {
        aborted = true;
        stream.destroy();
        // lib-storage aborts its multipart upload; a server that cannot abort one leaves it to the sweep.
        await upload.abort().catch(() => {});
        await done;
      },
    };
  }

  async compose(key: string, segments: readonly Segment[]): Promise<number> {
    const pieces: Piece[] = [];
    for (const segment of segments) {
      if ("bytes" in segment) {
        pieces.push({ bytes: segment.bytes });
        continue;
      }
      const length = await this.size(segment.key);
      if (length === null) throw new Error(`${segment.key} is missing`);
      const start = segment.start ?? 0;
      const end = segment.end ?? length;
      if (start < 0 || end > length || end < start) {
        throw new Error(`segment ${start}–${end} is outside ${segment.key} (${length} bytes)`);
      }
      pieces.push({ key: this.objectKey(segment.key), start, end });
    }
    const total = pieces.reduce((n, p) => n + pieceSize(p), 0);
    const partSize = Math.max(this.partSize, Math.ceil(total / MAX_PARTS));
    const Key = this.objectKey(key);
    if (total <= partSize) {
      // One part: a plain PutObject of at most one part's bytes.
      const body = await this.gather(pieces, total);
      this.fault(key, "synced");
      await this.send(() =>
        this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentLength: total }),
        ),
      );
      this.fault(key, "renamed");
      return total;
    }
    for (;;) {
      const canCopy = this.copySupported !== false;
      const plan = planParts(pieces, { minPart: MIN_PART, partSize, canCopy });
      const done = await this.uploadParts(key, Key, plan);
      if (done) return total;
      // The server refused a copy: composed again, every byte sent by the worker.
    }
  }

  /**
   * One multipart upload of the planned parts; false when the server turned out not to implement
   * UploadPartCopy (the upload is then aborted and `copySupported` is false).
   */
  private async uploadParts(key: string, Key: string, plan: PlannedPart[]): Promise<boolean> {
    const { UploadId } = await this.send(() =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key })),
    );
    if (!UploadId) throw new Error("the server gave no upload id");
    const completed: CompletedPart[] = new Array(plan.length);
    try {
      let next = 0;
      const worker = async (): Promise<boolean> => {
        while (next < plan.length) {
          const n = next++;
          const part = plan[n] as PlannedPart;
          const PartNumber = n + 1;
          if (part.kind === "copy") {
            try {
              const r = await this.send(() =>
                this.client.send(
                  new UploadPartCopyCommand({
                    Bucket: this.bucket,
                    Key,
                    UploadId,
                    PartNumber,
                    CopySource: `${this.bucket}/${encodeURIComponent(part.key).replace(/%2F/g, "/")}`,
                    CopySourceRange: `bytes=${part.start}-${part.end - 1}`,
                  }),
                ),
              );
              this.copySupported = true;
              completed[n] = { PartNumber, ETag: r.CopyPartResult?.ETag };
            } catch (err) {
              if (!isNotImplemented(err)) throw err;
              this.copySupported = false;
              return false;
            }
          } else {
            const body = await this.gather(part.pieces, part.size);
            const r = await this.send(() =>
              this.client.send(
                new UploadPartCommand({
                  Bucket: this.bucket,
                  Key,
                  UploadId,
                  PartNumber,
                  Body: body,
                  ContentLength: part.size,
                }),
              ),
            );
            completed[n] = { PartNumber, ETag: r.ETag };
          }
        }
        return true;
      };
      const results = await Promise.all(Array.from({ length: QUEUE }, worker));
      if (results.includes(false)) {
        await this.abortUpload(Key, UploadId);
        return false;
      }
      this.fault(key, "synced");
      await this.send(() =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key,
            UploadId,
            MultipartUpload: { Parts: completed },
          }),
        ),
      );
      this.fault(key, "renamed");
      return true;
    } catch (err) {
      await this.abortUpload(Key, UploadId);
      throw err;
    }
  }

  /** Aborts a multipart upload; a server that cannot (s3rver) leaves it to the bucket's own clean-up. */
  private async abortUpload(Key: string, UploadId: string) {
    await this.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }))
      .catch(() => {});
  }

  /** The pieces' bytes in one buffer (at most one part's worth). */
  private async gather(pieces: readonly Piece[], size: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    for (const piece of pieces) {
      if ("bytes" in piece) {
        piece.bytes.copy(out, at);
        at += piece.bytes.length;
        continue;
      }
      const data = await buffer(this.readObject(piece.key, { start: piece.start, end: piece.end }));
      data.copy(out, at);
      at += data.length;
    }
    if (at !== size) throw new Error(`expected ${size} bytes, read ${at}`);
    return out;
  }

  private readObject(Key: string, range?: { start: number; end: number }): Readable {
    if (range && range.end <= range.start) return Readable.from([]);
    const request = () =>
      this.send(() =>
        this.client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key,
            Range: range ? `bytes=${range.start}-${range.end - 1}` : undefined,
          }),
        ),
      );
    return Readable.from(
      (async function* () {
        const answer = await request();
        yield* answer.Body as Readable;
      })(),
      { objectMode: false },
    );
  }

  read(key: string, range?: { start: number; end: number }): Readable {
    return this.readObject(this.objectKey(key), range);
  }

  async size(key: string): Promise<number | null> {
    try {
      const head = await this.send(() =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })),
      );
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** A time-limited URL that lets whoever holds it GET the object (DOWNLOAD_REDIRECT=presigned). */
  presignedUrl(key: string, seconds: number, filename?: string): Promise<string> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.objectKey(key),
        ResponseContentDisposition: filename,
      }),
      { expiresIn: seconds },
    );
  }

  async remove(key: string): Promise<void> {
    await this.send(() =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })),
    );
  }

  /** Every object key under `prefix/` (the store's own keys). */
  private async *keysUnder(prefix: string): AsyncGenerator<string> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.send(() =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${prefix}/`, ContinuationToken }),
        ),
      );
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async removePrefix(prefix: string): Promise<void> {
    const base = this.objectKey(prefix.replace(/\/+$/, ""));
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const Objects = batch.map((Key) => ({ Key }));
      batch = [];
      await this.send(() =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects, Quiet: true } })),
      );
    };
    for await (const key of this.keysUnder(base)) {
      batch.push(key);
      if (batch.length === 1000) await flush();
    }
    await flush();
  }

  /** The names one level below `prefix` (objects and "folders"), as `prefix/name`, like a folder listing. */
  async list(prefix: string): Promise<string[]> {
    const clean = prefix.replace(/\/+$/, "");
    const base = this.objectKey(clean);
    const names = new Set<string>();
    let ContinuationToken: string | undefined;
    do {
      const page = await this.send(() =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: `${base}/`,
            Delimiter: "/",
            ContinuationToken,
          }),
        ),
      );
      for (const p of page.CommonPrefixes ?? []) {
        if (p.Prefix) names.add(p.Prefix.slice(base.length + 1).replace(/\/$/, ""));
      }
      for (const o of page.Contents ?? []) if (o.Key) names.add(o.Key.slice(base.length + 1));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return [...names].map((n) => `${clean}/${n}`);
  }

  /**
   * Aborts multipart uploads under the prefix started before `before` (a worker killed mid-upload leaves one;
   * their parts cost storage until aborted). Returns how many; 0 where the server cannot list them (s3rver:
   * there a bucket lifecycle rule, or nothing, cleans them).
   */
  async abortStaleUploads(before: Date): Promise<number> {
    let aborted = 0;
    try {
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      do {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.prefix ? `${this.prefix}/` : undefined,
            KeyMarker,
            UploadIdMarker,
          }),
        );
        for (const u of page.Uploads ?? []) {
          if (u.Key && u.UploadId && u.Initiated && u.Initiated < before) {
            await this.abortUpload(u.Key, u.UploadId);
            aborted++;
          }
        }
        KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (KeyMarker);
    } catch (err) {
      if (isNotImplemented(err)) return aborted;
      throw err;
    }
    return aborted;
  }
}
