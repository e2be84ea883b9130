/**
 * The `Range` header of a download (RFC 9110 §14.1–14.2), for a representation of `size` bytes.
 *
 * Served: one byte range — `bytes=a-b`, `bytes=a-`, `bytes=-n` (the last n bytes; the whole file when it is
 * shorter). Ignored, so that the whole file is sent with 200 as RFC 9110 allows: no Range, another unit, a
 * malformed header, an invalid range (`b` < `a`) and several ranges (we send no multipart/byteranges; a
 * resuming client asks for one range). Unsatisfiable (416): a first byte at or past the end, a suffix of 0
 * bytes, or any range of an empty file.
 *
 * Hand-written rather than range-parser: range-parser 1.3 answers `bytes=-500` of a 100-byte file as
 * unsatisfiable (RFC 9110 §14.1.2: the whole file) and `bytes=5-2` as unsatisfiable (an invalid range,
 * which is to be ignored).
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
