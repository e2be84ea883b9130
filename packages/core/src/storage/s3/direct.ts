import {
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
} from "@aws-sdk/client-s3";
import { type Piece, pieceSize, planParts } from "../compose-plan";
import type {
  DirectPageWrite,
  DirectPart,
  DirectStorage,
  DirectTail,
  DirectUpload,
  PendingPage,
  ReservePartNumbers,
} from "../direct";
import type { Segment } from "../types";
import type { Bucket } from "./bucket";
import { sendParts } from "./compose";
import { DirectPageWriter } from "./direct-page";
import type { PartBuffers } from "./part-buffers";

export interface S3DirectOptions {
  /** A storage key's object key (the storage's prefix). */
  objectKey: (key: string) => string;
  /** The pieces of segments (their objects' sizes checked). */
  pieces: (segments: readonly Segment[]) => Promise<Piece[]>;
  minPart: number;
  copy: { supported: boolean | null };
  /** The fault points of a part's or a result's commit, by storage key. */
  reached: (key: string, stage: "writing" | "synced" | "renamed") => void;
  /** Where parts are sent from: at least `directBufferSize(minPart)` each. */
  buffers: PartBuffers;
}

/** Parts sent while a page streams: 8 MiB for S3's 5 MiB. */
export const directChunk = (minPart: number) => Math.ceil((minPart * 8) / 5);

/** The largest part a page sends (its last): `minPart` held back plus a chunk. */
export const directBufferSize = (minPart: number) => minPart + directChunk(minPart);

/**
 * Direct mode on S3 (storage/direct.ts). S3 does not check what our code must: every part but the last at least
 * `minPart`, part numbers ascending, the object's size the sum of the parts' (s3rver checks none of it).
 */
export class S3Direct implements DirectStorage {
  readonly minPart: number;
  private readonly chunk: number;

  constructor(
    private readonly bucket: Bucket,
    private readonly options: S3DirectOptions,
  ) {
    this.minPart = options.minPart;
    this.chunk = directChunk(options.minPart);
  }

  async begin(key: string): Promise<string> {
    const Key = this.options.objectKey(key);
    const { UploadId } = await this.bucket.send(() =>
      this.bucket.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket.name, Key })),
    );
    if (!UploadId) throw new Error("the server gave no upload id");
    return UploadId;
  }

  createPage(partKey: string, write: DirectPageWrite): PendingPage {
    const { objectKey, reached } = this.options;
    return new DirectPageWriter(this.bucket, write, {
      uploadKey: objectKey(write.upload.key),
      partKey,
      partObject: objectKey(partKey),
      minPart: this.minPart,
      chunk: this.chunk,
      reached: (stage) => reached(partKey, stage),
      buffers: this.options.buffers,
    });
  }

  async complete(
    upload: DirectUpload,
    parts: readonly DirectPart[],
    tail: readonly DirectTail[],
    reserve: ReservePartNumbers,
    expected: number,
    first?: readonly DirectTail[],
  ): Promise<number> {
    const Key = this.options.objectKey(upload.key);
    // Completed already (a kill before the export was marked completed): the upload is gone, the result there.
    const there = await this.bucket.size(Key);
    if (there !== null) {
      if (there === expected) return there;
      throw new Error(`the result ${upload.key} has ${there} bytes, ${expected} expected`);
    }
    const pieces = await this.options.pieces(tail);
    const target = { Bucket: this.bucket.name, Key, UploadId: upload.uploadId };
    // Part 1 (reserved): sent as one part, whatever its size (the check below wants the minimum).
    let head: { listed: CompletedPart[]; sizes: number[] } = { listed: [], sizes: [] };
    if (first) {
      const firstPieces = await this.options.pieces(first);
      const size = firstPieces.reduce((n, p) => n + pieceSize(p), 0);
      const sent = await sendParts(
        this.bucket,
        target,
        [{ kind: "send", pieces: firstPieces, size }],
        () => 1,
        this.options.copy,
        this.options.buffers,
      );
      if (!sent) throw new Error("part 1 was refused");
      head = { listed: sent, sizes: [size] };
    }
    for (;;) {
      const plan = planParts(pieces, {
        minPart: this.minPart,
        partSize: this.chunk,
        canCopy: this.options.copy.supported !== false,
      });
      const first = plan.length > 0 ? await reserve(plan.length) : 0;
      const sent = await sendParts(
        this.bucket,
        target,
        plan,
        (i) => first + i,
        this.options.copy,
        this.options.buffers,
      );
      // A refused copy: planned again with every byte sent (the parts sent so far are never listed).
      if (!sent) continue;
      const listed: CompletedPart[] = [
        ...head.listed,
        ...parts.map((p) => ({ PartNumber: p.n, ETag: p.etag })),
        ...sent,
      ];
      const sizes = [
        ...head.sizes,
        ...parts.map((p) => p.size),
        ...plan.map((p) => (p.kind === "send" ? p.size : p.end - p.start)),
      ];
      this.check(listed, sizes, expected);
      this.options.reached(upload.key, "synced");
      await this.bucket.send(() =>
        this.bucket.client.send(
          new CompleteMultipartUploadCommand({ ...target, MultipartUpload: { Parts: listed } }),
        ),
      );
      this.options.reached(upload.key, "renamed");
      const size = await this.bucket.size(Key);
      if (size !== expected)
        throw new Error(`the result ${upload.key} has ${size} bytes, ${expected} expected`);
      return size;
    }
  }

  /** S3's rules, checked here as s3rver does not: numbers ascending, every part but the last ≥ minPart. */
  private check(listed: readonly CompletedPart[], sizes: readonly number[], expected: number) {
    if (listed.length === 0) throw new Error("a direct upload without parts");
    let total = 0;
    listed.forEach((part, i) => {
      const n = part.PartNumber ?? 0;
      const size = sizes[i] ?? 0;
      if (!part.ETag) throw new Error(`part ${n} has no ETag`);
      if (i > 0 && n <= (listed[i - 1]?.PartNumber ?? 0)) throw new Error(`part ${n} is out of order`);
      if (i < listed.length - 1 && size < this.minPart) {
        throw new Error(
          `part ${n} has ${size} bytes, under the ${this.minPart} every part but the last needs`,
        );
      }
      total += size;
    });
    if (total !== expected) throw new Error(`the parts hold ${total} bytes, ${expected} expected`);
  }

  async abort(upload: DirectUpload): Promise<void> {
    await this.bucket.abortUpload(this.options.objectKey(upload.key), upload.uploadId);
  }
}
