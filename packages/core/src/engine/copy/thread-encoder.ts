import { Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
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
/** An output buffer: a chunk and the room for a row past it. */
const BUFFER_BYTES = 2 * PUSH_BYTES;
/** Bytes encoded before they are acknowledged (a message each way costs ~10–50 µs). */
const ACK_BYTES = 256 << 10;

/**
 * This thread collects its garbage after every `COLLECT_BYTES` of output. V8 frees an isolate's unreferenced
 * buffers when its heap needs collecting or their memory has grown by ~64 MiB; this thread's heap hardly grows,
 * so zlib's output buffers piled up: the worker's peak RSS over 1M-row exports was 217 MB, 181 MB with this.
 * `gc` is exposed to a context of this thread's own (the flag only applies to contexts made after it).
 */
const COLLECT_BYTES = 16 << 20;
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;
let sinceCollected = 0;

type Send = (message: FromThread, transfer?: ArrayBuffer[]) => void;

/**
 * One page's rows encoded in this thread as `CopyRows` encodes them on the main thread (the same bytes), then
 * through the format's part stages (XLSX: CRC-32 and deflate), so that only the part's bytes go back. The
 * output buffers are reused once the first stage has consumed them (a new buffer per chunk made this thread's
 * isolate hold ~130 MB more between its collections).
 */
class Stream {
  private readonly page: PageRows;
  private readonly line: LineEncoder | null;
  private readonly out = new ByteWriter(BUFFER_BYTES);
  private readonly spare: Buffer[] = [];
  private readonly first: Writable;
  /** Acknowledgements held back while the stages are full (the main thread then reads no further). */
  private held = 0;
  private full = false;
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
    const back = new Writable({
      highWaterMark: PUSH_BYTES,
      write(chunk: Buffer, _encoding, callback) {
        // A copy of its own to transfer (the stage's output may share its memory with the next chunk).
        const bytes = new Uint8Array(chunk);
        send({ type: "out", id, bytes }, [bytes.buffer]);
        callback();
      },
    });
    const chain = [...(writer.partStages?.(spec.firstRow) ?? []), back];
    this.first = chain[0] ?? back;
    this.first.on("drain", () => {
      this.full = false;
      this.release();
    });
    this.done = chain.length > 1 ? pipeline(chain) : finished(back);
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
    if (out.pos - out.start >= PUSH_BYTES) this.push();
    if (this.held >= ACK_BYTES) this.release();
  }

  /** Writes what was encoded into the first stage; its buffer is spare again once consumed. */
  private push() {
    const buf = this.out.buf;
    sinceCollected += this.out.pos - this.out.start;
    if (sinceCollected >= COLLECT_BYTES) {
      sinceCollected = 0;
      collect();
    }
    const chunk = this.out.detach(this.spare.pop());
    const reuse = () => {
      if (buf.length === BUFFER_BYTES && this.spare.length < 2) this.spare.push(buf);
    };
    if (!this.first.write(chunk, reuse)) this.full = true;
  }

  private release() {
    if (this.held === 0 || this.full) return;
    this.send({ type: "ack", id: this.id, bytes: this.held });
    this.held = 0;
  }

  async end() {
    if (this.out.pos > this.out.start) this.push();
    this.first.end();
    this.full = false;
    this.release();
    await this.done;
    return { written: this.page.written, failed: this.page.failed, lastId: this.page.lastId };
  }

  drop() {
    // What it held is acknowledged: the COPY's bytes in flight are counted by the main thread.
    this.full = false;
    this.release();
    this.first.destroy(new Error("dropped"));
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
