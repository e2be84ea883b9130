import { Writable } from "node:stream";
import { PutObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3";
import { type DirectPageWrite, type DirectPart, encodeDirectPage, type PendingPage } from "../direct";
import type { Bucket } from "./bucket";
import type { PartBuffers } from "./part-buffers";

const MiB = 1024 * 1024;
const EMPTY = Buffer.alloc(0);
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
 * A page written as parts of the result's upload: its bytes are copied as they come into a pooled buffer of
 * `minPart + chunk` (part-buffers.ts); once it is full and more bytes come, its first `chunk - hold` is sent
 * (UploadPart, one in flight) and the `minPart + hold` after it carried over into the next buffer, so every part
 * is at least `minPart` and what remains at the end is the page's last part, but for its last `hold` bytes (the
 * format's separator: held back, recorded in the page's entry). A page that ends under `minPart` (nothing sent
 * yet) is written as an ordinary part object instead, without the head or the carried bytes, with its separator
 * (as every part object). Memory: the buffer filling and the part in flight; the chunks written are let go at
 * once. Part numbers come from `reserve` as needed; the last one is reserved when the stream finishes, so a page
 * read ahead after this one only ever gets higher numbers.
 */
export class DirectPageWriter implements PendingPage {
  readonly stream: Writable;
  mode: "direct" | "object" | null = null;
  /** The buffer filling (`minPart + chunk`), and how much of it is. */
  private current: Buffer | null = null;
  private filled = 0;
  private readonly size: number;
  /** The head and the carried bytes the first part starts with (not the page's own). */
  private readonly headLength: number;
  private readonly hold: number;
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
    this.size = options.minPart + options.chunk;
    this.hold = typeof write.hold === "number" ? write.hold : (write.hold?.length ?? 0);
    if (options.chunk - this.hold < options.minPart) throw new Error("the held-back bytes are too long");
    const start = Buffer.concat([write.head ?? EMPTY, write.carried ?? EMPTY]);
    this.headLength = start.length;
    if (start.length > 0) {
      if (start.length >= this.size) throw new Error("the file's head is larger than a part");
      this.buffer().set(start);
      this.filled = start.length;
    }
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

  private buffer(): Buffer {
    this.current ??= this.options.buffers.take(this.size);
    return this.current;
  }

  private async onWrite(chunk: Buffer) {
    if (this.aborted) throw new Error("page discarded");
    if (!this.started) {
      this.started = true;
      this.options.reached("writing");
    }
    let at = 0;
    while (at < chunk.length) {
      if (this.filled === this.size) await this.sendChunk();
      const k = Math.min(chunk.length - at, this.size - this.filled);
      chunk.copy(this.buffer(), this.filled, at, at + k);
      this.filled += k;
      at += k;
    }
  }

  /** The full buffer's first `chunk - hold` sent; the `minPart + hold` after it carried over into a fresh buffer. */
  private async sendChunk() {
    await this.inFlight;
    this.mode = "direct";
    const n = await this.nextNumber(BLOCK);
    if (this.aborted) throw new Error("page discarded");
    const full = this.buffer();
    const sent = this.options.chunk - this.hold;
    this.current = null;
    full.copy(this.buffer(), 0, sent, this.size);
    this.filled = this.size - sent;
    this.send(n, full, sent);
  }

  private async onFinal() {
    await this.inFlight;
    if (this.parts.length === 0 && this.filled - this.hold < this.options.minPart) {
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

  /** Starts sending the first `size` bytes of `buffer` as a part; the next waits for it (its failure fails the page). */
  private send(PartNumber: number, buffer: Buffer, size: number) {
    const part: DirectPart = { n: PartNumber, etag: "", size };
    this.parts.push(part);
    const { upload } = this.write;
    const sent = this.bucket.send(() =>
      this.bucket.client.send(
        new UploadPartCommand({
          Bucket: this.bucket.name,
          Key: this.options.uploadKey,
          UploadId: upload.uploadId,
          PartNumber,
          Body: buffer.subarray(0, size),
          ContentLength: size,
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
    const buffer = this.buffer();
    const filled = this.filled;
    this.current = null;
    this.filled = 0;
    if (this.mode === "object") {
      const body = buffer.subarray(this.headLength, filled);
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
      this.options.buffers.give(buffer);
      this.options.reached("renamed");
      return { entry: this.options.partKey, size: body.length };
    }
    if (this.last === null) throw new Error("no part number for the page's last part");
    const held = Buffer.from(buffer.subarray(filled - this.hold, filled));
    if (Buffer.isBuffer(this.write.hold) && !held.equals(this.write.hold)) {
      this.options.buffers.give(buffer);
      throw new Error("a page does not end with the format's separator");
    }
    this.send(this.last, buffer, filled - this.hold);
    await this.inFlight;
    this.options.reached("synced");
    this.options.reached("renamed");
    const size = this.parts.reduce((n, p) => n + p.size, 0) - this.headLength + this.hold;
    const entry = encodeDirectPage({
      head: this.write.head !== null && this.write.head.length > 0,
      carried: this.write.carried ?? EMPTY,
      held,
      parts: this.parts,
    });
    return { entry, size };
  }

  /** Its parts stay in the upload, never listed (S3 discards them when it completes). */
  async abort(): Promise<void> {
    this.aborted = true;
    if (!this.stream.writableFinished) this.stream.destroy();
    await this.inFlight?.catch(() => {});
    // Not given back: a write may still be between its awaits with it.
    this.current = null;
    this.filled = 0;
  }
}
