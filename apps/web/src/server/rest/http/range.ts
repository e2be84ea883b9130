/**
 * The `Range` header of a download (RFC 9110 §14.1–14.2), for a representation of `size` bytes.
 * - Served: one range, `bytes=a-b`, `bytes=a-` or `bytes=-n` (the last n bytes; all of a shorter file).
 * - Ignored (200, the whole file, as RFC 9110 allows): another unit, a malformed header, `b` < `a`, several
 *   ranges (we send no multipart/byteranges; a resuming client asks for one).
 * - Unsatisfiable (416): a first byte at or past the end, a suffix of 0 bytes, any range of an empty file.
 *
 * Not range-parser: 1.3 answers `bytes=-500` of a 100-byte file and `bytes=5-2` as unsatisfiable, against
 * RFC 9110 §14.1.2.
 */
export type RangeRequest =
  | { kind: "none" }
  /** `start` up to `end` (exclusive), within the file. */
  | { kind: "range"; start: number; end: number }
  | { kind: "unsatisfiable" };

const NONE: RangeRequest = { kind: "none" };

export function parseRange(header: string | null, size: number): RangeRequest {
  if (header === null) return NONE;
  const m = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (!m) return NONE;
  // A list may have empty elements (RFC 9110 §5.6.1); more than one range is ignored.
  const specs = (m[1] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (specs.length !== 1) return NONE;
  const spec = /^(\d*)-(\d*)$/.exec(specs[0] ?? "");
  if (!spec || (spec[1] === "" && spec[2] === "")) return NONE;
  const [, first = "", last = ""] = spec;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return NONE;
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", start, end: last === "" ? size : Math.min(Number(last) + 1, size) };
}

/** `Content-Range` of a served range (`end` exclusive). */
export const contentRange = (start: number, end: number, size: number) => `bytes ${start}-${end - 1}/${size}`;
