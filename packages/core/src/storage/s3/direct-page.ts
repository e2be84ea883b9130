import { Writable } from "node:stream";
import { PutObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3";
import { type DirectPageWrite, type DirectPart, encodeDirectPage, type PendingPage } from "../direct";
import type { Bucket } from "./bucket";
import type { PartBuffers } from "./part-buffers";

const MiB = 1024 * 1024;
/**
 * Part numbers reserved at a time while a page streams (one guarded update each); a page's last part takes
 * one more only if none is left. Numbers left over are skipped: 10,000 allow ~2,500 pages at worst.
 */
const BLOCK = 4;

export interface DirectPageOptions {
  /** The object key of the result (the upload's). */
  uploadKey: string;
  /** The page's part (the fallback): its storage key (recorded) and its object key. */
  partKey: string;
  partObject: string;
  minPart: number;
  /** Parts sent while the page streams; at least `minPart`. */
  chunk: number;
  /** Fault points: the page's first bytes, then every byte uploaded (engine/faults.ts). */
  reached: (stage: "writing" | "synced" | "renamed") => void;
  /** Where parts are copied to be sent (at least `minPart + chunk` each). */
  buffers: PartBuffers;
}

/**
 * A page written as parts of the result's upload: its bytes are buffered and a `chunk` sent (UploadPart, one in
 * flight) only while at least `minPart` would remain, so every part is at least `minPart` and what remains at
 * the end (`minPart`..`minPart + chunk`) is the page's last part. A page that ends under `minPart` (nothing
 * sent yet) is written as an ordinary part object instead, without the head. Memory: the chunks as written (views,
 * no copy), under `minPart + chunk`, and the part in flight, copied once into a pooled buffer (part-buffers.ts).
 * Part numbers come from `reserve` as needed; the last one is reserved when the stream
 * finishes, so a page read ahead after this one only ever gets higher numbers.
 */
export class DirectPageWriter implements PendingPage {
  readonly stream: Writable;
  mode: "direct" | "object" | null = null;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly headLength: number;
  private readonly parts: DirectPart[] = [];
  private numbers: number[] = [];
  private last: number | null = null;
  private inFlight: Promise<void> | null = null;
  private started = false;
  private aborted = false;

  constructor(
    private readonly bucket: Bucket,
    private readonly write: DirectPageWrite,
    private readonly options: DirectPageOptions,
  ) {
    this.headLength = write.head?.length ?? 0;
    if (write.head) this.push(write.head);
    this.stream = new Writable({
      highWaterMark: MiB,
      write: (chunk: Buffer, _encoding, done) => {
        this.onWrite(chunk).then(() => done(), done);
      },
      final: (done) => {
        this.onFinal().then(() => done(), done);
      },
    });
  }

  private push(chunk: Buffer) {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The first `n` buffered bytes copied into a pooled buffer (the part's body: its start); the chunks they came
   * from are let go.
   */
  private take(n: number): { buffer: Buffer; body: Buffer } {
    const buffer = this.options.buffers.take(n);
    let at = 0;
    while (at < n) {
      const chunk = this.chunks[0] as Buffer;
      const k = Math.min(chunk.length, n - at);
      chunk.copy(buffer, at, 0, k);
      at += k;
      if (k === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(k);
    }
    this.buffered -= n;
    return { buffer, body: buffer.subarray(0, n) };
  }

  private async onWrite(chunk: Buffer) {
    if (this.aborted) throw new Error("page discarded");
    if (!this.started) {
      this.started = true;
      this.options.reached("writing");
    }
    this.push(chunk);
    const { minPart, chunk: size } = this.options;
    while (this.buffered >= minPart + size) {
      await this.inFlight;
      this.mode = "direct";
      const n = await this.nextNumber(BLOCK);
      if (this.aborted) throw new Error("page discarded");
      this.send(n, this.take(size));
    }
  }

  private async onFinal() {
    await this.inFlight;
    if (this.parts.length === 0 && this.buffered < this.options.minPart) {
      this.mode = "object";
      return;
    }
    this.mode = "direct";
    this.last = await this.nextNumber(1);
  }

  private async nextNumber(block: number): Promise<number> {
    if (this.numbers.length === 0) {
      const first = await this.write.reserve(block);
      this.numbers = Array.from({ length: block }, (_, i) => first + i);
    }
    return this.numbers.shift() as number;
  }

  /** Starts sending a part; the next waits for it (its failure fails the page). */
  private send(PartNumber: number, { buffer, body: Body }: { buffer: Buffer; body: Buffer }) {
    const part: DirectPart = { n: PartNumber, etag: "", size: Body.length };
    this.parts.push(part);
    const { upload } = this.write;
    const sent = this.bucket.send(() =>
      this.bucket.client.send(
        new UploadPartCommand({
          Bucket: this.bucket.name,
          Key: this.options.uploadKey,
          UploadId: upload.uploadId,
          PartNumber,
          Body,
          ContentLength: Body.length,
        }),
      ),
    );
    this.inFlight = sent.then((r) => {
      this.options.buffers.give(buffer);
      if (!r.ETag) throw new Error(`the server gave no ETag for part ${PartNumber}`);
      part.etag = r.ETag;
    });
    this.inFlight.catch(() => {}); // awaited by the next part or the commit
  }

  async commit(): Promise<{ entry: string; size: number }> {
    if (this.aborted) throw new Error("page discarded");
    if (!this.stream.writableFinished) throw new Error("the page is not finished");
    if (this.mode === "object") {
      // Under `minPart`: the chunks joined, once (no pooled buffer for a small page).
      const body = Buffer.concat(this.chunks, this.buffered).subarray(this.headLength);
      this.chunks = [];
      this.buffered = 0;
      this.options.reached("synced");
      await this.bucket.send(() =>
        this.bucket.client.send(
          new PutObjectCommand({
            Bucket: this.bucket.name,
            Key: this.options.partObject,
            Body: body,
            ContentLength: body.length,
          }),
        ),
      );
      this.options.reached("renamed");
      return { entry: this.options.partKey, size: body.length };
    }
    if (this.last === null) throw new Error("no part number for the page's last part");
    this.send(this.last, this.take(this.buffered));
    await this.inFlight;
    this.options.reached("synced");
    this.options.reached("renamed");
    const size = this.parts.reduce((n, p) => n + p.size, 0) - this.headLength;
    return { entry: encodeDirectPage({ head: this.headLength > 0, parts: this.parts }), size };
  }

  /** Its parts stay in the upload, never listed (S3 discards them when it completes). */
  async abort(): Promise<void> {
    this.aborted = true;
    if (!this.stream.writableFinished) this.stream.destroy();
    await this.inFlight?.catch(() => {});
    this.chunks = [];
    this.buffered = 0;
  }
}
