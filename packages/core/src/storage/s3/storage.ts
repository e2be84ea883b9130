import type { S3Client } from "@aws-sdk/client-s3";
import type { FaultPoint, Faults } from "../../engine/faults";
import type { Piece } from "../compose-plan";
import { safeKey } from "../keys";
import type { PendingFile, Segment, Storage } from "../types";
import { Bucket } from "./bucket";
import { composeObject, MIN_PART } from "./compose";
import { directBufferSize, S3Direct } from "./direct";
import { isUnavailable, StorageUnavailableError } from "./errors";
import { ObjectUpload } from "./object-upload";
import { PartBuffers } from "./part-buffers";

const MiB = 1024 * 1024;
/** The part size of uploads the worker sends, one at a time while the next fills (~16 MiB of a file in memory). */
const PART_SIZE = 8 * MiB;

export interface S3StorageOptions {
  faults?: Faults;
  /** Tests use smaller parts; at least 5 MiB. */
  partSize?: number;
  /**
   * Tests only (S3_TEST_MIN_PART_BYTES): the smallest part of a direct upload but the last, so that small pages
   * are written directly on a server that does not enforce S3's 5 MiB (s3rver). Default 5 MiB.
   */
  minPart?: number;
}

/**
 * Parts, results and uploads as objects in a bucket (any S3-API server), under an optional key prefix. An object
 * is visible only once its upload completes (PutObject, or CompleteMultipartUpload), so a file is committed
 * whole or not at all, as a local rename is. A composed result is a multipart upload of the pieces: ranges of
 * stored objects copied by the server (`UploadPartCopy`) where it can, else streamed through the worker
 * (s3rver has no UploadPartCopy); either way nothing holds a file in memory.
 */
export class S3Storage implements Storage {
  private readonly bucket: Bucket;
  private readonly partSize: number;
  /** Unknown until a copy is tried; false after the server refused one. */
  readonly copy: { supported: boolean | null } = { supported: null };
  readonly direct: S3Direct;
  private readonly buffers: PartBuffers;

  constructor(
    client: S3Client,
    bucketName: string,
    readonly prefix: string,
    private readonly options: S3StorageOptions = {},
  ) {
    this.bucket = new Bucket(client, bucketName, `s3://${bucketName}${prefix ? `/${prefix}` : ""}`);
    this.partSize = Math.max(MIN_PART, options.partSize ?? PART_SIZE);
    const minPart = options.minPart ?? MIN_PART;
    // One pool for the parts pages send directly and those compositions send (either fits the larger).
    this.buffers = new PartBuffers(Math.max(directBufferSize(minPart), this.partSize));
    this.direct = new S3Direct(this.bucket, {
      objectKey: (key) => this.objectKey(key),
      pieces: (segments) => this.pieces(segments),
      minPart,
      copy: this.copy,
      reached: (key, stage) => this.fault(key, stage),
      buffers: this.buffers,
    });
  }

  get location(): string {
    return this.bucket.where;
  }

  private objectKey(key: string): string {
    const safe = safeKey(key);
    return this.prefix ? `${this.prefix}/${safe}` : safe;
  }

  /** The fault points of a part's or a result's commit (engine/faults.ts). */
  private fault(key: string, stage: "writing" | "synced" | "renamed") {
    const faults = this.options.faults;
    if (!faults) return;
    if (key.startsWith("parts/")) faults(`part.${stage}` as FaultPoint);
    else if (key.startsWith("results/") && stage !== "writing") faults(`result.${stage}` as FaultPoint);
  }

  /** Whether the bucket answers (start-up); throws StorageUnavailableError or the server's refusal. */
  check(): Promise<void> {
    return this.bucket.check();
  }

  async create(key: string): Promise<PendingFile> {
    const upload = new ObjectUpload(this.bucket, this.objectKey(key), this.partSize, this.buffers, () =>
      this.fault(key, "writing"),
    );
    const { stream } = upload;
    let aborted = false;
    return {
      stream,
      commit: async () => {
        if (!stream.writableEnded) stream.end();
        try {
          await upload.done;
        } catch (err) {
          if (isUnavailable(err) && !(err instanceof StorageUnavailableError)) {
            throw new StorageUnavailableError(this.location, err);
          }
          throw err;
        }
        if (aborted) throw new Error("upload aborted");
        // Written, durable and visible are one step here: the object exists once its upload completed.
        this.fault(key, "synced");
        this.fault(key, "renamed");
        const size = await this.size(key);
        if (size === null) throw new Error(`${key} is missing after its upload`);
        return size;
      },
      abort: async () => {
        aborted = true;
        if (stream.writableEnded) {
          // The body is whole: its upload goes on to the end, and an abort now could race the server storing
          // it. So it is let finish, then the object removed: a file thrown away never stays (a page read ahead
          // and dropped after a cancel removed the parts, say).
          await upload.done.catch(() => {});
          await this.remove(key).catch(() => {});
          return;
        }
        // Unfinished, no object can appear.
        await upload.abort();
      },
    };
  }

  async compose(key: string, segments: readonly Segment[]): Promise<number> {
    return composeObject(this.bucket, this.objectKey(key), await this.pieces(segments), {
      partSize: this.partSize,
      copy: this.copy,
      reached: (stage) => this.fault(key, stage),
      buffers: this.buffers,
    });
  }

  /** Segments as pieces of objects, their ranges checked against the objects' sizes. */
  private async pieces(segments: readonly Segment[]): Promise<Piece[]> {
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
    return pieces;
  }

  read(key: string, range?: { start: number; end: number }) {
    return this.bucket.read(this.objectKey(key), range);
  }

  size(key: string) {
    return this.bucket.size(this.objectKey(key));
  }

  /** A time-limited URL that lets whoever holds it GET the object (DOWNLOAD_REDIRECT=presigned). */
  presignedUrl(key: string, seconds: number, headers: { disposition: string; contentType: string }) {
    return this.bucket.presign(this.objectKey(key), seconds, headers);
  }

  remove(key: string) {
    return this.bucket.remove(this.objectKey(key));
  }

  removePrefix(prefix: string) {
    return this.bucket.removeUnder(this.objectKey(prefix.replace(/\/+$/, "")));
  }

  async list(prefix: string): Promise<string[]> {
    const clean = prefix.replace(/\/+$/, "");
    return (await this.bucket.namesUnder(this.objectKey(clean))).map((n) => `${clean}/${n}`);
  }

  /**
   * Aborts multipart uploads under the prefix begun before `before` (a worker killed mid-upload leaves one; its
   * parts cost storage until aborted), but those in `keep` (unfinished exports' direct uploads). 0 where the
   * server cannot list them (s3rver).
   */
  abortStaleUploads(before: Date, keep?: ReadonlySet<string>): Promise<number> {
    return this.bucket.abortUploadsBefore(this.prefix ? `${this.prefix}/` : "", before, keep);
  }
}
