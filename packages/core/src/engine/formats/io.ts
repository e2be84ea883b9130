import { once } from "node:events";
import type { Readable, Writable } from "node:stream";

/** Writes a chunk, waiting for the stream to drain when its buffer is full (constant memory). */
export async function write(out: Writable, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, "drain");
}

/** Copies a readable into a writable without ending it. */
export async function copyInto(source: Readable, out: Writable): Promise<number> {
  let bytes = 0;
  for await (const chunk of source) {
    bytes += (chunk as Buffer).length;
    await write(out, chunk as Buffer);
  }
  return bytes;
}

export async function end(out: Writable): Promise<void> {
  out.end();
  if (!out.writableFinished) await once(out, "finish");
}
