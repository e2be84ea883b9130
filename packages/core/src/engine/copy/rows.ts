import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type pg from "pg";
import { ByteWriter } from "../formats/bytes";
import type { LineEncoder, RowEncoder } from "../formats/types";
import { PageRows, parseRow } from "./parse";

/** Backend message codes. */
const COPY_DATA = 0x64; // d
const COPY_DONE = 0x63; // c
const ERROR_RESPONSE = 0x45; // E

/** Output is pushed in chunks of at least this size (fewer, larger writes). */
const PUSH_BYTES = 1 << 20;
const BUFFER_BYTES = 4 << 20;

/** What node-postgres hands a submittable query: its connection, with the socket. */
interface Connection {
  stream: Socket;
  query(text: string): void;
}

/** A part of a COPY's rows: their encoded bytes, ending after its row limit or with the COPY. */
export class CopyPart extends Readable {
  constructor(
    private readonly copy: CopyRows,
    readonly page: PageRows,
    readonly limit: number,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  override _read() {
    this.copy.want(this);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void) {
    this.copy.detach(this);
    callback(err);
  }
}

/**
 * `COPY (…) TO STDOUT WITH (FORMAT csv)` as a node-postgres submittable whose rows are read as a sequence of
 * parts (`part()`), so one COPY fills several page files while PostgreSQL keeps sending. Like pg-copy-streams it
 * takes the socket's data until CopyDone, then hands the rest back to node-postgres; each CopyData message (one
 * row) is parsed in place, with no chunk per row or copy of the CSV; a format's `LineEncoder` gets each whole
 * line first. Backpressure: the socket is read only while a part's consumer wants more, not at all between
 * parts.
 */
export class CopyRows implements pg.Submittable {
  private connection: Connection | null = null;
  private pgDataHandler: ((data: Buffer) => void) | null = null;
  private readonly onReadable = () => this.forward();
  /** An incomplete message at the end of the last chunk. */
  private carry: Buffer | null = null;
  /** Bytes read from the socket after the last part's last row, for the next part. */
  private pending: Buffer | null = null;
  private current: CopyPart | null = null;
  private line: LineEncoder | null = null;
  private wanted = false;
  private forwarding = false;
  private finished = false;
  private error: Error | null = null;
  private readonly out = new ByteWriter(BUFFER_BYTES);

  constructor(
    private readonly text: string,
    private readonly columns: number,
    private readonly idColumn = columns - 1,
  ) {}

  /** The COPY has ended (CopyDone, or an error). */
  get done(): boolean {
    return this.finished;
  }

  /** The next `limit` rows (or the rest), encoded by `line` where it takes the line, else by `encode`. */
  part(limit: number, encode: RowEncoder, line: LineEncoder | null = null): CopyPart {
    if (this.current) throw new Error("the previous part of this COPY has not ended");
    const part = new CopyPart(this, new PageRows(this.columns, encode, this.idColumn), limit);
    if (this.error) {
      part.destroy(this.error);
      return part;
    }
    this.current = part;
    this.line = line;
    this.wanted = false;
    if (this.finished || limit <= 0) this.endPart();
    return part;
  }

  /** Fails the part being read and every later one (the connection is lost). */
  fail(err: Error) {
    this.error ??= err;
    const part = this.current;
    this.current = null;
    part?.destroy(err);
  }

  submit(pgConnection: unknown) {
    const connection = pgConnection as Connection;
    this.connection = connection;
    const socket = connection.stream;
    const listeners = socket.listeners("data") as Array<(data: Buffer) => void>;
    const handler = listeners[0];
    if (listeners.length !== 1 || !handler) throw new Error("unexpected node-postgres connection state");
    this.pgDataHandler = handler;
    socket.removeListener("data", handler);
    socket.pause();
    socket.on("readable", this.onReadable);
    connection.query(this.text);
  }

  want(part: CopyPart) {
    if (part !== this.current) return;
    this.wanted = true;
    this.forward();
  }

  detach(part: CopyPart) {
    if (part === this.current) this.current = null;
  }

  private forward() {
    if (this.forwarding || !this.wanted || !this.current) return;
    this.forwarding = true;
    try {
      const pending = this.pending;
      if (pending) {
        this.pending = null;
        this.parse(pending);
      }
      while (this.wanted && this.current && !this.finished && this.connection) {
        const chunk = this.connection.stream.read() as Buffer | null;
        if (chunk === null) break;
        this.parse(chunk);
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.forwarding = false;
    }
  }

  private parse(chunk: Buffer) {
    let from = 0;
    const carry = this.carry;
    if (carry) {
      // The carried message is completed with just the head of this chunk, not the whole chunk copied.
      this.carry = null;
      const head = carry.length >= 5 ? carry : Buffer.concat([carry, chunk.subarray(0, 5 - carry.length)]);
      if (head.length < 5) {
        this.carry = head;
        return;
      }
      const need = 1 + head.readUInt32BE(1) - carry.length;
      if (head[0] === ERROR_RESPONSE || need > chunk.length) {
        // An error is handed back whole; a message longer than this chunk waits for the next one.
        this.messages(Buffer.concat([carry, chunk]), null);
        return;
      }
      if (!this.messages(Buffer.concat([carry, chunk.subarray(0, need)]), chunk.subarray(need))) return;
      from = need;
    }
    this.messages(from === 0 ? chunk : chunk.subarray(from), null);
  }

  /**
   * Handles the complete messages of `data`, carries an incomplete last one over. `tail`: bytes after `data`
   * on the socket, for whoever reads on if the part or the COPY ends here. False once either ended.
   */
  private messages(data: Buffer, tail: Buffer | null): boolean {
    const part = this.current;
    if (!part) {
      this.pending = tail ? Buffer.concat([data, tail]) : data;
      return false;
    }
    const len = data.length;
    const out = this.out;
    const page = part.page;
    const row = page.row;
    const line = this.line;
    const limit = part.limit;
    const rest = (at: number) => (tail ? Buffer.concat([data.subarray(at), tail]) : data.subarray(at));
    let p = 0;
    while (p + 5 <= len) {
      const code = data[p];
      if (code === ERROR_RESPONSE) {
        // node-postgres parses the error (and what follows) and reports it through handleError.
        this.handBack(rest(p));
        return false;
      }
      const end = p + 1 + data.readUInt32BE(p + 1);
      if (end > len) break;
      if (code === COPY_DATA) {
        const id = line === null ? -1 : line(data, p + 5, end, out);
        if (id >= 0) page.added(id);
        else {
          if (parseRow(data, p + 5, end, row) !== end) throw new Error("a COPY message is not one row");
          page.add(out);
        }
        if (page.rows >= limit) {
          const after = rest(end);
          this.pending = after.length > 0 ? after : null;
          this.endPart();
          return false;
        }
      } else if (code === COPY_DONE) {
        this.handBack(rest(end));
        this.endPart();
        return false;
      }
      p = end;
    }
    if (p < len) this.carry = Buffer.from(data.subarray(p));
    this.pushOut(false);
    return true;
  }

  private pushOut(all: boolean) {
    const out = this.out;
    const part = this.current;
    if (!part || out.pos - out.start < (all ? 1 : PUSH_BYTES)) return;
    if (!part.push(out.flush())) this.wanted = false;
  }

  private endPart() {
    this.pushOut(true);
    const part = this.current;
    this.current = null;
    this.wanted = false;
    part?.push(null);
  }

  /** Gives the socket back to node-postgres with the bytes after the COPY's data. */
  private handBack(rest: Buffer) {
    this.finished = true;
    const connection = this.connection;
    const handler = this.pgDataHandler;
    if (!connection || !handler) return;
    const socket = connection.stream;
    socket.removeListener("readable", this.onReadable);
    socket.on("data", handler);
    this.pgDataHandler = null;
    handler(rest);
    // As pg-copy-streams does: resumed on the next tick, after the handler's own pause (if any).
    process.nextTick(() => socket.resume());
  }

  handleError(err: Error) {
    this.finished = true;
    this.fail(err);
  }

  handleCommandComplete() {}

  handleReadyForQuery() {}
}
