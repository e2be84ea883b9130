import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { MessagePort } from "node:worker_threads";
import { resourceByKey } from "../../resources/registry";
import { fieldsByName } from "../../resources/serialize";
import { writerFor } from "../formats";
import { ByteWriter } from "../formats/bytes";
import type { LineEncoder } from "../formats/types";
import { PageRows, parseRow } from "./parse";
import type { EncodeSpec, FromThread, ToThread } from "./thread-protocol";

/** Encoded bytes go into the part's stages in chunks of at least this size. */
const PUSH_BYTES = 1 << 20;

/** Bytes encoded before they are acknowledged (a message each way costs ~10–50 µs). */
const ACK_BYTES = 512 << 10;

type Send = (message: FromThread, transfer?: ArrayBuffer[]) => void;

/**
 * One page's rows encoded in this thread as `CopyRows` encodes them on the main thread (the same bytes), then
 * through the format's part stages (XLSX: CRC-32 and deflate), so that only the part's bytes go back.
 */
class Stream {
  private readonly page: PageRows;
  private readonly line: LineEncoder | null;
  private readonly out = new ByteWriter(4 * PUSH_BYTES);
  private readonly source: Readable;
  /** Acknowledgements held back while the stages are full (the main thread then reads no further). */
  private held = 0;
  readonly done: Promise<void>;

  constructor(
    private readonly id: number,
    spec: EncodeSpec,
    private readonly send: Send,
  ) {
    const resource = resourceByKey(spec.resource);
    if (!resource) throw new Error(`unknown resource ${spec.resource}`);
    const fields = fieldsByName(resource, spec.fields);
    const writer = writerFor(spec.format);
    this.page = new PageRows(spec.columns, writer.rowEncoder(fields, spec.firstRow), spec.idColumn);
    this.line = writer.lineEncoder?.(fields, spec.columns, spec.idColumn) ?? null;
    this.source = new Readable({ highWaterMark: PUSH_BYTES, read: () => this.release() });
    const back = new Writable({
      highWaterMark: PUSH_BYTES,
      write(chunk: Buffer, _encoding, callback) {
        // A copy of its own to transfer (the stage's output may share its memory with the next chunk).
        const bytes = new Uint8Array(chunk);
        send({ type: "out", id, bytes }, [bytes.buffer]);
        callback();
      },
    });
    this.done = pipeline([this.source, ...(writer.partStages?.(spec.firstRow) ?? []), back]);
  }

  /** Encodes whole CopyData messages. */
  data(data: Buffer) {
    const { page, line, out } = this;
    const row = page.row;
    let p = 0;
    while (p < data.length) {
      const end = p + 1 + data.readUInt32BE(p + 1);
      const id = line === null ? -1 : line(data, p + 5, end, out);
      if (id >= 0) page.added(id);
      else {
        if (parseRow(data, p + 5, end, row) !== end) throw new Error("a COPY message is not one row");
        page.add(out);
      }
      p = end;
    }
    this.held += data.length;
    if (out.pos - out.start >= PUSH_BYTES && !this.source.push(out.flush())) return;
    if (this.held >= ACK_BYTES) this.release();
  }

  private release() {
    if (this.held === 0) return;
    this.send({ type: "ack", id: this.id, bytes: this.held });
    this.held = 0;
  }

  async end() {
    const { out, page } = this;
    if (out.pos > out.start) this.source.push(out.flush());
    this.source.push(null);
    this.release();
    await this.done;
    return { written: page.written, failed: page.failed, lastId: page.lastId };
  }

  drop() {
    this.source.destroy(new Error("dropped"));
  }
}

/** Serves encoding streams on `port` (the thread's parent port). */
export function serveEncoding(port: MessagePort) {
  const streams = new Map<number, Stream>();
  const rings = new Map<number, Buffer>();
  const send: Send = (message, transfer) => port.postMessage(message, transfer);
  const fail = (id: number, err: unknown) => {
    rings.delete(id);
    if (!streams.has(id)) return;
    streams.get(id)?.drop();
    streams.delete(id);
    send({ type: "error", id, message: (err as Error).message });
  };
  port.on("message", (message: ToThread) => {
    const { id } = message;
    try {
      switch (message.type) {
        case "begin": {
          rings.set(id, Buffer.from(message.ring));
          const stream = new Stream(id, message.spec, send);
          streams.set(id, stream);
          stream.done.catch((err) => fail(id, err));
          break;
        }
        case "data": {
          const { bytes, at, length } = message;
          const stream = streams.get(id);
          const ring = rings.get(id);
          if (stream && bytes) stream.data(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          else if (stream && ring) stream.data(ring.subarray(at, at + length));
          else send({ type: "ack", id, bytes: length }); // dropped or failed: the COPY may read on
          break;
        }
        case "end": {
          const stream = streams.get(id);
          stream?.end().then(
            (stats) => {
              rings.delete(id);
              if (streams.delete(id)) send({ type: "end", id, ...stats });
            },
            (err) => fail(id, err),
          );
          break;
        }
        case "drop":
          streams.get(id)?.drop();
          streams.delete(id);
          rings.delete(id);
      }
    } catch (err) {
      fail(id, err);
    }
  });
}
