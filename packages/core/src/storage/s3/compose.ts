import {
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { type Piece, type PlannedPart, pieceSize, planParts } from "../compose-plan";
import type { Bucket } from "./bucket";
import { isNotImplemented } from "./errors";
import type { PartBuffers } from "./part-buffers";

const MiB = 1024 * 1024;
/** S3's smallest part but the last. */
export const MIN_PART = 5 * MiB;
/** Parts sent two at a time: at most ~2 parts of a file are in memory. */
const QUEUE = 2;
/** S3 allows 10,000 parts per upload: larger files get larger parts. */
const MAX_PARTS = 9_000;

export interface ComposeOptions {
  /** The largest part the worker sends. */
  partSize: number;
  /** Whether the server copies ranges (null: unknown until tried); updated when a copy is refused. */
  copy: { supported: boolean | null };
  /** Called once every byte is uploaded (the object not yet visible), then once it is. */
  reached: (stage: "synced" | "renamed") => void;
  /** Where parts are gathered to be sent. */
  buffers: PartBuffers;
}

/**
 * Writes `Key` as the concatenation of `pieces`: a PutObject when it fits one part, else a multipart upload of
 * the planned parts (compose-plan.ts). A server that refuses UploadPartCopy (s3rver answers 501) has the upload
 * aborted and done again with every byte sent. Returns the object's size.
 */
export async function composeObject(bucket: Bucket, Key: string, pieces: Piece[], options: ComposeOptions) {
  const total = pieces.reduce((n, p) => n + pieceSize(p), 0);
  const partSize = Math.max(options.partSize, Math.ceil(total / MAX_PARTS));
  if (total <= partSize) {
    const { buffer, body } = await gather(bucket, pieces, total, options.buffers);
    options.reached("synced");
    await bucket.send(() =>
      bucket.client.send(
        new PutObjectCommand({ Bucket: bucket.name, Key, Body: body, ContentLength: total }),
      ),
    );
    options.buffers.give(buffer);
    options.reached("renamed");
    return total;
  }
  for (;;) {
    const plan = planParts(pieces, {
      minPart: MIN_PART,
      partSize,
      canCopy: options.copy.supported !== false,
    });
    if (await uploadParts(bucket, Key, plan, options)) return total;
  }
}

/** One multipart upload of the plan; false when the server refused a copy (the upload is then aborted). */
async function uploadParts(bucket: Bucket, Key: string, plan: PlannedPart[], options: ComposeOptions) {
  const { UploadId } = await bucket.send(() =>
    bucket.client.send(new CreateMultipartUploadCommand({ Bucket: bucket.name, Key })),
  );
  if (!UploadId) throw new Error("the server gave no upload id");
  const target = { Bucket: bucket.name, Key, UploadId };
  try {
    const completed = await sendParts(bucket, target, plan, (n) => n + 1, options.copy, options.buffers);
    if (!completed) {
      await bucket.abortUpload(Key, UploadId);
      return false;
    }
    options.reached("synced");
    await bucket.send(() =>
      bucket.client.send(
        new CompleteMultipartUploadCommand({ ...target, MultipartUpload: { Parts: completed } }),
      ),
    );
    options.reached("renamed");
    return true;
  } catch (err) {
    await bucket.abortUpload(Key, UploadId);
    throw err;
  }
}

/**
 * Sends the plan's parts to the upload `target` (`QUEUE` at a time), part `i` numbered `number(i)`; their
 * numbers and ETags in plan order, or false when the server refused a copy (`copy` then says so).
 */
export async function sendParts(
  bucket: Bucket,
  target: { Bucket: string; Key: string; UploadId: string },
  plan: readonly PlannedPart[],
  number: (i: number) => number,
  copy: { supported: boolean | null },
  buffers: PartBuffers,
): Promise<CompletedPart[] | false> {
  const completed: CompletedPart[] = new Array(plan.length);
  let next = 0;
  const sender = async (): Promise<boolean> => {
    while (next < plan.length) {
      const n = next++;
      const part = plan[n] as PlannedPart;
      const PartNumber = number(n);
      if (part.kind === "send") {
        const { buffer, body: Body } = await gather(bucket, part.pieces, part.size, buffers);
        const r = await bucket.send(() =>
          bucket.client.send(
            new UploadPartCommand({ ...target, PartNumber, Body, ContentLength: part.size }),
          ),
        );
        buffers.give(buffer);
        completed[n] = { PartNumber, ETag: r.ETag };
        continue;
      }
      try {
        const r = await bucket.send(() =>
          bucket.client.send(
            new UploadPartCopyCommand({
              ...target,
              PartNumber,
              CopySource: `${bucket.name}/${encodeURIComponent(part.key).replace(/%2F/g, "/")}`,
              CopySourceRange: `bytes=${part.start}-${part.end - 1}`,
            }),
          ),
        );
        copy.supported = true;
        completed[n] = { PartNumber, ETag: r.CopyPartResult?.ETag };
      } catch (err) {
        if (!isNotImplemented(err)) throw err;
        copy.supported = false;
        return false;
      }
    }
    return true;
  };
  if ((await Promise.all(Array.from({ length: QUEUE }, sender))).includes(false)) return false;
  return completed;
}

/**
 * The pieces' bytes (at most one part's worth) read straight into a pooled buffer: no chunk is kept and joined
 * (that held each part two or three times over).
 */
async function gather(
  bucket: Bucket,
  pieces: readonly Piece[],
  size: number,
  buffers: PartBuffers,
): Promise<{ buffer: Buffer; body: Buffer }> {
  const buffer = buffers.take(size);
  let at = 0;
  const put = (data: Uint8Array) => {
    if (at + data.length > size) throw new Error(`expected ${size} bytes, read more`);
    buffer.set(data, at);
    at += data.length;
  };
  try {
    for (const piece of pieces) {
      if ("bytes" in piece) put(piece.bytes);
      else for await (const chunk of bucket.read(piece.key, piece)) put(chunk as Buffer);
    }
  } catch (err) {
    buffers.give(buffer); // nothing sent from it
    throw err;
  }
  if (at !== size) throw new Error(`expected ${size} bytes, read ${at}`);
  return { buffer, body: buffer.subarray(0, size) };
}
