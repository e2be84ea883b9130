/**
 * How an object store composes a file from pieces with a multipart upload: every part but the last must be at
 * least 5 MiB (S3's rule), a part copied server-side (`UploadPartCopy`) is a range of one stored object, and a
 * part sent by the worker is at most `partSize` bytes (it is held in memory while it is sent). Pure: the store
 * executes the plan (storage/s3.ts).
 */

/** A piece of the file: bytes given now, or the bytes [start, end) of a stored object. */
export type Piece = { bytes: Buffer } | { key: string; start: number; end: number };

export type PlannedPart =
  | { kind: "copy"; key: string; start: number; end: number }
  | { kind: "send"; pieces: Piece[]; size: number };

export interface PlanOptions {
  /** The smallest part but the last (S3: 5 MiB). */
  minPart: number;
  /** The largest part the worker sends (held in memory while sent); at least `minPart`. */
  partSize: number;
  /** Whether ranges may be copied server-side (parts of at least `minPart`). */
  canCopy: boolean;
  /** The largest copied part (S3: 5 GiB). */
  maxCopy?: number;
}

export const pieceSize = (p: Piece) => ("bytes" in p ? p.bytes.length : p.end - p.start);

type Range = { key: string; start: number; end: number };

/** Splits a piece at `n` bytes. */
function split<P extends Piece>(p: P, n: number): [P, P];
function split(p: Piece, n: number): [Piece, Piece] {
  if ("bytes" in p) return [{ bytes: p.bytes.subarray(0, n) }, { bytes: p.bytes.subarray(n) }];
  return [
    { key: p.key, start: p.start, end: p.start + n },
    { key: p.key, start: p.start + n, end: p.end },
  ];
}

export function planParts(pieces: readonly Piece[], options: PlanOptions): PlannedPart[] {
  const { minPart, partSize, canCopy } = options;
  const maxCopy = options.maxCopy ?? 5 * 1024 ** 3;
  if (partSize < minPart) throw new Error("partSize must be at least minPart");
  const parts: PlannedPart[] = [];
  let sending: Piece[] = [];
  let size = 0;
  const emit = () => {
    if (size > 0) parts.push({ kind: "send", pieces: sending, size });
    sending = [];
    size = 0;
  };
  /** Adds a piece to the parts being sent, emitting each one that reaches `partSize`. */
  const send = (piece: Piece) => {
    let rest = piece;
    while (pieceSize(rest) > 0) {
      const room = partSize - size;
      const n = Math.min(room, pieceSize(rest));
      const [head, tail] = split(rest, n);
      sending.push(head);
      size += n;
      rest = tail;
      if (size === partSize) emit();
    }
  };
  for (const piece of pieces) {
    if (pieceSize(piece) === 0) continue;
    if (!canCopy || "bytes" in piece || pieceSize(piece) < minPart) {
      send(piece);
      continue;
    }
    let range: Range = piece;
    // The bytes gathered so far must become a part of their own first: topped up to the minimum from this range.
    if (size > 0 && size < minPart) {
      const [head, tail] = split(range, minPart - size);
      send(head);
      range = tail;
    }
    emit();
    const n = pieceSize(range);
    if (n < minPart) {
      send(range);
      continue;
    }
    // Copied in equal parts of at most maxCopy (each then at least minPart, as n ≥ minPart).
    const count = Math.ceil(n / maxCopy);
    const key = range.key;
    let at = range.start;
    for (let i = 0; i < count; i++) {
      const length = Math.floor(n / count) + (i < n % count ? 1 : 0);
      parts.push({ kind: "copy", key, start: at, end: at + length });
      at += length;
    }
  }
  emit();
  return parts;
}
