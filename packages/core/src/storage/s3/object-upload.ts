import { Writable } from "node:stream";
import {
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { Bucket } from "./bucket";
import type { PartBuffers } from "./part-buffers";

/**
 * An object written as it streams: its bytes are copied into a pooled buffer (part-buffers.ts) and each full
 * `partSize` sent as a part of a multipart upload, begun with the first, while the next fills; a file that never
 * fills one part is one PutObject. Memory: two buffers (one filling, one in flight), whatever the file's size.
 *
 * Why not lib-storage's Upload (which did this before): it joins each part's chunks into a new buffer and keeps
 * the rest as a view of that one, and with one part in flight it stops reading while the part is sent; a page
 * (and the page read ahead beside it) held two to three parts' worth and the writer waited. The requests are the
 * SDK's, signed by it, as before.
 */
export class ObjectUpload {
  readonly stream: Writable;
  /** Settles once the object exists (or the upload failed). */
  readonly done: Promise<void>;
  private buffer: Buffer | null = null;
  private filled = 0;
  private uploadId: Promise<string> | null = null;
  private readonly parts: CompletedPart[] = [];
  private inFlight: Promise<void> | null = null;
  private aborted = false;
  private resolveDone!: () => void;
  private rejectDone!: (err: unknown) => void;

  constructor(
    private readonly bucket: Bucket,
    private readonly Key: string,
    private readonly partSize: number,
    private readonly buffers: PartBuffers,
    /** Called with the first bytes (a fault point). */
    onFirstBytes: () => void,
  ) {
    let first = true;
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => {}); // awaited by the commit or the abort
    this.stream = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        if (first) {
          first = false;
          onFirstBytes();
        }
        this.write(chunk).then(() => callback(), callback);
      },
      final: (callback) => {
        this.finish().then(
          () => {
            this.resolveDone();
            callback();
          },
          (err: Error) => {
            this.rejectDone(err);
            callback(err);
          },
        );
      },
    });
    this.stream.on("error", (err) => this.rejectDone(err));
  }

  private async write(chunk: Buffer) {
    let at = 0;
    while (at < chunk.length) {
      // A full part is sent once more bytes follow (a file of exactly one part is one PutObject).
      if (this.filled === this.partSize) await this.sendFull();
      this.buffer ??= this.buffers.take(this.partSize);
      const k = Math.min(chunk.length - at, this.partSize - this.filled);
      chunk.copy(this.buffer, this.filled, at, at + k);
      this.filled += k;
      at += k;
    }
  }

  /** Sends the full buffer as the next part (after the one in flight) and takes a fresh one to fill. */
  private async sendFull() {
    await this.inFlight;
    if (this.aborted) throw new Error("upload aborted");
    const buffer = this.buffer as Buffer;
    const size = this.filled;
    this.buffer = null;
    this.filled = 0;
    this.uploadId ??= this.begin();
    const UploadId = await this.uploadId;
    // Aborted meanwhile: no part goes to the upload being aborted.
    if (this.aborted) throw new Error("upload aborted");
    const PartNumber = this.parts.length + 1;
    const part: CompletedPart = { PartNumber };
    this.parts.push(part);
    this.inFlight = this.bucket
      .send(() =>
        this.bucket.client.send(
          new UploadPartCommand({
            Bucket: this.bucket.name,
            Key: this.Key,
            UploadId,
            PartNumber,
            Body: buffer.subarray(0, size),
            ContentLength: size,
          }),
        ),
      )
      .then((r) => {
        this.buffers.give(buffer);
        if (!r.ETag) throw new Error(`the server gave no ETag for part ${PartNumber}`);
        part.ETag = r.ETag;
      });
    this.inFlight.catch(() => {}); // awaited by the next part or the end
  }

  private async begin(): Promise<string> {
    const { UploadId } = await this.bucket.send(() =>
      this.bucket.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket.name, Key: this.Key })),
    );
    if (!UploadId) throw new Error("the server gave no upload id");
    return UploadId;
  }

  private async finish() {
    if (!this.uploadId) {
      const buffer = this.buffer;
      const Body = buffer ? buffer.subarray(0, this.filled) : Buffer.alloc(0);
      await this.bucket.send(() =>
        this.bucket.client.send(
          new PutObjectCommand({ Bucket: this.bucket.name, Key: this.Key, Body, ContentLength: Body.length }),
        ),
      );
      if (buffer) this.buffers.give(buffer);
      this.buffer = null;
      return;
    }
    if (this.filled > 0) await this.sendFull();
    await this.inFlight;
    const UploadId = await this.uploadId;
    await this.bucket.send(() =>
      this.bucket.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket.name,
          Key: this.Key,
          UploadId,
          MultipartUpload: { Parts: this.parts },
        }),
      ),
    );
  }

  /**
   * Stops an unfinished upload: no object can appear (a multipart upload is aborted where the server can; s3rver
   * leaves its parts to the sweep, abortStaleUploads).
   */
  async abort() {
    this.aborted = true;
    this.stream.destroy();
    await this.inFlight?.catch(() => {});
    this.buffer = null;
    const uploadId = await this.uploadId?.catch(() => null);
    if (uploadId) await this.bucket.abortUpload(this.Key, uploadId);
  }
}
