/**
 * PostgreSQL's own text forms of a timestamp and of jsonb, turned byte by byte into what the files hold (ISO
 * 8601 date-times, compact JSON) so that the server need not: `to_char` cost PostgreSQL ~0.45 s per 1,000,000
 * date-times, and JSON.parse + JSON.stringify per jsonb cell was the worker's largest cost with all fields.
 * Each function gives exactly the bytes of the old path (`to_char(…, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
 * `compactJson`), or says it cannot (the caller then takes the old path in Node).
 */

/**
 * The COPY transaction's settings under which timestamps print as `isoDatetime` reads them (the server's
 * DateStyle and TimeZone may be others): a timestamp with zone in UTC, `+00` after it. A zone option's
 * `set local timezone` comes after these and wins (its encoders read the offset). Filters compare with
 * instants (ISO 8601 with `Z`), so the setting changes no row's selection.
 */
export const DATETIME_TEXT_SETTINGS = "set local datestyle = 'ISO'; set local timezone = 'UTC'";

/** `isoDatetime`'s answer for `infinity`/`-infinity`, which `to_char` gave as NULL. */
export const DATETIME_NULL = -1;
/** The most bytes `isoDatetime` writes beyond its input's length (`.000Z` where nothing followed the seconds). */
export const DATETIME_GROWTH = 5;

/**
 * A timestamp as PostgreSQL prints it with DateStyle ISO, in UTC (`2025-01-01 00:01:00.5`, or with `+00`; year
 * 10000 and later with more digits, ` BC` after the year 1 BC and before, a fraction of at most 3 digits as
 * the columns' precision is, trailing zeros dropped) written at `p` as `to_char` printed it in UTC
 * (`2025-01-01T00:01:00.500Z`, the year as printed, no era). A value already in ISO form (the row-by-row path
 * hands `toISOString()`'s) is copied as it is. Returns the position after it, or `DATETIME_NULL`.
 */
export function isoDatetime(buf: Buffer, p: number, src: Buffer, s: number, e: number): number {
  let k = s;
  while (k < e && src[k] !== 32 && src[k] !== 84) k++;
  if (k === e) {
    if (src[s] === 105 || src[s] === 45) return DATETIME_NULL; // infinity, -infinity
    throw new Error("unexpected timestamp text");
  }
  if (src[k] === 84) {
    for (let j = s; j < e; j++) buf[p++] = src[j] as number;
    return p;
  }
  for (let j = s; j < k; j++) buf[p++] = src[j] as number;
  buf[p++] = 84; // T
  // HH:MM:SS
  for (let j = k + 1; j < k + 9; j++) buf[p++] = src[j] as number;
  k += 9;
  buf[p++] = 46; // .
  let digits = 0;
  if (src[k] === 46) {
    k++;
    while (k < e && digits < 3) {
      const b = src[k] as number;
      if (b < 48 || b > 57) break;
      buf[p++] = b;
      digits++;
      k++;
    }
    if (k < e && (src[k] as number) >= 48 && (src[k] as number) <= 57)
      throw new Error("unexpected timestamp precision");
  }
  for (; digits < 3; digits++) buf[p++] = 48;
  buf[p++] = 90; // Z
  // The zone (UTC: "+00", or none for a timestamp without one) and the era are not printed by to_char.
  if (
    k < e &&
    src[k] !== 32 &&
    !(src[k] === 43 && src[k + 1] === 48 && src[k + 2] === 48 && (k + 3 === e || src[k + 3] === 32))
  )
    throw new Error("unexpected time zone in timestamp text");
  return p;
}

/** Where `isoDatetimeField` found its field's end (the `,` or LF after it). */
export const datetimeEnd = { at: -1 };

/**
 * `isoDatetime` for a field of COPY's line whose end is not known yet (the line encoders), in one pass: only the
 * common form — a 4-digit year, at most 3 fraction digits, no zone but UTC's `+00`, no era, ended by `,` or LF —
 * read at `s` and written at `p`; its end left in `datetimeEnd.at`. -1, having written nothing that counts, for
 * any other form or a NULL (the caller then finds the field's end and calls `isoDatetime`). Same bytes as
 * `isoDatetime`; ~3× less CPU than finding the end first, then scanning again for the space (orders: ~25% of the
 * CSV encoder).
 */
export function isoDatetimeField(buf: Buffer, p: number, src: Buffer, s: number): number {
  // A field of a timestamp column that starts with a digit is a timestamp; `-` at 4: a 4-digit year.
  const first = src[s] as number;
  if (first < 48 || first > 57 || src[s + 4] !== 45 || src[s + 10] !== 32) return -1;
  buf[p] = first;
  buf[p + 1] = src[s + 1] as number;
  buf[p + 2] = src[s + 2] as number;
  buf[p + 3] = src[s + 3] as number;
  buf[p + 4] = 45;
  buf[p + 5] = src[s + 5] as number;
  buf[p + 6] = src[s + 6] as number;
  buf[p + 7] = src[s + 7] as number;
  buf[p + 8] = src[s + 8] as number;
  buf[p + 9] = src[s + 9] as number;
  buf[p + 10] = 84; // T
  buf[p + 11] = src[s + 11] as number;
  buf[p + 12] = src[s + 12] as number;
  buf[p + 13] = src[s + 13] as number;
  buf[p + 14] = src[s + 14] as number;
  buf[p + 15] = src[s + 15] as number;
  buf[p + 16] = src[s + 16] as number;
  buf[p + 17] = src[s + 17] as number;
  buf[p + 18] = src[s + 18] as number;
  buf[p + 19] = 46; // .
  let k = s + 19;
  let b = src[k] as number;
  let q = p + 20;
  if (b === 46) {
    // At most 3 digits (the columns' precision, or date_trunc'd): a fourth means another form.
    b = src[++k] as number;
    let digits = 0;
    while (b >= 48 && b <= 57) {
      if (digits === 3) return -1;
      buf[q++] = b;
      digits++;
      b = src[++k] as number;
    }
    for (; digits < 3; digits++) buf[q++] = 48;
  } else {
    buf[q++] = 48;
    buf[q++] = 48;
    buf[q++] = 48;
  }
  // UTC's `+00` (a timestamp with zone, DATETIME_TEXT_SETTINGS) is not printed, as `isoDatetime` does not; another
  // zone or an era: left to isoDatetime.
  if (b === 43 && src[k + 1] === 48 && src[k + 2] === 48) {
    k += 3;
    b = src[k] as number;
  }
  if (b !== 44 && b !== 10) return -1;
  buf[q++] = 90; // Z
  datetimeEnd.at = k;
  return q;
}

const SPACE = 32;
const QUOTE = 34;
const BACKSLASH = 92;

/** Whether the byte may follow a backslash in jsonb's text (and so in JSON.stringify's). */
function simpleEscape(b: number): boolean {
  return b === QUOTE || b === BACKSLASH || b === 98 || b === 102 || b === 110 || b === 114 || b === 116;
}

const isDigit = (b: number | undefined) => b !== undefined && b >= 48 && b <= 57;
const isHexLower = (b: number | undefined) =>
  b !== undefined && ((b >= 48 && b <= 57) || (b >= 97 && b <= 102));

/**
 * jsonb's text (`{"a": [1, 2]}`: a space after each `:` and `,`), the cell `src[s..e)` of COPY's CSV (each
 * `"` doubled when `doubled`), written at `p` compact as `JSON.stringify(JSON.parse(text))` writes it: quotes
 * doubled in the output too when `keepDoubled` (a CSV cell), single otherwise. Never longer than its input.
 * Returns the position after it, or -1 where it is not sure to give JSON.stringify's bytes (a number that is
 * not a short integer, a key that is an integer — JavaScript puts those first —, an escape JSON.stringify would
 * write differently, anything unexpected): the caller then compacts with `compactJson`.
 */
/** Where `compactJsonb` found a doubled cell's closing quote, when it was given the line's end. */
export const jsonbEnd = { at: -1 };

export function compactJsonb(
  buf: Buffer,
  p: number,
  src: Buffer,
  s: number,
  e: number,
  doubled: boolean,
  keepDoubled: boolean,
): number {
  let k = s;
  while (k < e) {
    const b = src[k] as number;
    if (b === QUOTE) {
      // A lone quote outside a string (doubled) ends COPY's CSV field: a caller passing the line's end learns it.
      if (doubled && src[k + 1] !== QUOTE) {
        jsonbEnd.at = k;
        return p;
      }
      // A string: copied to its closing quote; escapes checked.
      buf[p++] = QUOTE;
      if (keepDoubled) buf[p++] = QUOTE;
      k += doubled ? 2 : 1;
      const from = k;
      let allDigits = true;
      for (;;) {
        if (k >= e) return -1;
        const c = src[k] as number;
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          allDigits = false;
          const x = src[k + 1] as number;
          if (simpleEscape(x)) {
            buf[p++] = BACKSLASH;
            if (x === QUOTE) {
              buf[p++] = QUOTE;
              if (keepDoubled) buf[p++] = QUOTE;
              k += doubled ? 3 : 2;
            } else {
              buf[p++] = x;
              k += 2;
            }
            continue;
          }
          // \u00XX for a control character without a short escape, lower-case hex, as both write it.
          if (x !== 117 || src[k + 2] !== 48 || src[k + 3] !== 48 || !isHexLower(src[k + 5])) return -1;
          const high = src[k + 4];
          const low = src[k + 5] as number;
          const code = (high === 49 ? 16 : 0) + (low <= 57 ? low - 48 : low - 87);
          if (
            (high !== 48 && high !== 49) ||
            code === 8 ||
            code === 9 ||
            code === 10 ||
            code === 12 ||
            code === 13
          )
            return -1;
          for (let j = k; j < k + 6; j++) buf[p++] = src[j] as number;
          k += 6;
          continue;
        }
        if (c < 0x20) return -1;
        if (c < 48 || c > 57) allDigits = false;
        buf[p++] = c;
        k++;
      }
      // An integer-like key: JavaScript orders it before the others, jsonb by length.
      if (allDigits && k > from && src[k + (doubled ? 2 : 1)] === 58) return -1;
      buf[p++] = QUOTE;
      if (keepDoubled) buf[p++] = QUOTE;
      k += doubled ? 2 : 1;
    } else if (b === SPACE) {
      k++;
    } else if (b === 45 || isDigit(b)) {
      // A number: an integer of at most 15 digits prints the same in JavaScript; anything else may not.
      const start = b === 45 ? k + 1 : k;
      let j = start;
      while (j < e && isDigit(src[j])) j++;
      const digits = j - start;
      if (digits === 0 || digits > 15 || (src[start] === 48 && (digits > 1 || b === 45))) return -1;
      const next = src[j];
      if (next === 46 || next === 101 || next === 69) return -1;
      for (let d = k; d < j; d++) buf[p++] = src[d] as number;
      k = j;
    } else if (b === 123 || b === 125 || b === 91 || b === 93 || b === 58 || b === 44) {
      buf[p++] = b;
      k++;
    } else if (b === 116 || b === 102 || b === 110) {
      // true, false, null
      while (k < e && (src[k] as number) >= 97 && (src[k] as number) <= 122) buf[p++] = src[k++] as number;
    } else return -1;
  }
  jsonbEnd.at = e;
  return p;
}
