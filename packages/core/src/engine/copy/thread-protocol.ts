import type { ExportFormat } from "../../contract";

/** Messages between a COPY (main thread) and an encoding thread (`encode-thread.ts`), by stream id. */

/** What a stream encodes: a page's rows in a format, its fields named (the thread finds them in the registry). */
export interface EncodeSpec {
  format: ExportFormat;
  resource: string;
  fields: string[];
  /** The page's first row's index in the export. */
  firstRow: number;
  columns: number;
  idColumn: number;
}

export type ToThread =
  /** `ring`: memory shared with the thread, where the COPY's bytes are put for it (no copy per message). */
  | { type: "begin"; id: number; spec: EncodeSpec; ring: SharedArrayBuffer }
  /** Whole CopyData messages (code, length, one CSV row each): in the ring at `at`, or `bytes` of their own. */
  | { type: "data"; id: number; at: number; length: number; bytes?: Uint8Array }
  | { type: "end"; id: number }
  | { type: "drop"; id: number };

export type FromThread =
  /** Encoded bytes (transferred). */
  | { type: "out"; id: number; bytes: Uint8Array }
  /** A data message's bytes were encoded (the COPY may read on). */
  | { type: "ack"; id: number; bytes: number }
  | { type: "end"; id: number; written: number; failed: number; lastId: number | null }
  | { type: "error"; id: number; message: string };
