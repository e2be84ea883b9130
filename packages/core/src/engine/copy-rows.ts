import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type pg from "pg";
import { PageRows, parseRow } from "./copy";
import { ByteWriter } from "./formats/bytes";
import type { LineEncoder, RowEncoder } from "./formats/types";

/** Protocol message codes (the first byte of each backend message). */
const COPY_DATA = 0x64; // d
const COPY_DONE = 0x63; // c
const ERROR_RESPONSE = 0x45; // E

/** Output is pushed in chunks of at least this size (fewer, larger writes), from 4 MiB buffers. */
const PUSH_BYTES = 1 << 20;
const BUFFER_BYTES = 4 << 20;

/** What node-postgres hands a submittable query: its connection, with the socket. */
interface Connection {
  stream: Socket;
  query(text: string): void;
}

/**
 * `COPY (…) TO STDOUT WITH (FORMAT csv)` as a node-postgres submittable whose output is the page's encoded
 * rows: it reads the protocol straight from the socket (as pg-copy-streams does: it takes the connection's
 * data until CopyDone, then hands the rest back to node-postgres) and parses each CopyData message — one row
 * each, as PostgreSQL sends them — in place, with no intermediate chunk per row or concatenated copy of the
 * CSV; a format's `LineEncoder`, when it has one, gets each whole line first. A message that is not exactly
 * one row fails the page. Backpressure: the socket is read only while the consumer wants more.
 */
export class CopyRows extends Readable implements pg.Submittable {
  readonly page: PageRows;
  private connection: Connection | null = null;
  private pgDataHandler: ((data: Buffer) => void) | null = null;
  private readonly onReadable = () => this.forward();
  private carry: Buffer | null = null;
  private wanted = false;
  private forwarding = false;
  private finished = false;
  private readonly out = new ByteWriter(BUFFER_BYTES);

  constructor(
    private readonly text: string,
    columns: number,
    encode: RowEncoder,
    idColumn = columns - 1,
    private readonly line: LineEncoder | null = null,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.page = new PageRows(columns, encode, idColumn);
  }

  /** Called by node-postgres when the query's turn comes (`pg.Submittable`). */
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

  override _read() {
    this.wanted = true;
    this.forward();
  }

  private forward() {
    if (this.forwarding || !this.wanted || !this.connection || this.finished) return;
    this.forwarding = true;
    try {
      const socket = this.connection.stream;
      while (this.wanted && !this.finished) {
        const chunk = socket.read() as Buffer | null;
        if (chunk === null) break;
        this.parse(chunk);
      }
    } catch (err) {
      this.destroy(err as Error);
    } finally {
      this.forwarding = false;
    }
  }

  private parse(chunk: Buffer) {
    let from = 0;
    const carry = this.carry;
    if (carry) {
      // Complete the message carried over from the last chunk with just the head of this one (copying the
      // whole chunk onto the carry would copy every byte once more).
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
   * Handles the complete messages of `data`, carries an incomplete last one over. `tail`: bytes that follow
   * `data` on the socket (handed back with it if the COPY ends here). Returns false once the COPY ended.
   */
  private messages(data: Buffer, tail: Buffer | null): boolean {
    const len = data.length;
    const out = this.out;
    const page = this.page;
    const row = page.row;
    const line = this.line;
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
      } else if (code === COPY_DONE) {
        this.pushOut(true);
        this.handBack(rest(end));
        this.push(null);
        return false;
      }
      // Other messages (CopyOutResponse, notices, parameter status) carry nothing for the page.
      p = end;
    }
    if (p < len) this.carry = Buffer.from(data.subarray(p));
    this.pushOut(false);
    return true;
  }

  private pushOut(all: boolean) {
    const out = this.out;
    if (out.pos - out.start < (all ? 1 : PUSH_BYTES)) return;
    if (!this.push(out.flush())) this.wanted = false;
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

  /** node-postgres: the server reported an error (or the connection failed). */
  handleError(err: Error) {
    this.destroy(err);
  }

  handleCommandComplete() {}

  handleReadyForQuery() {}
}
