import { ascii, put } from "../bytes";

/** XML of the workbook's parts: the declaration, namespaces, and a cell's text escaped byte by byte. */

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
export const NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
export const NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
export const NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships";

const AMP = ascii("&amp;");
const LT = ascii("&lt;");
const GT = ascii("&gt;");
/** A literal `_` that readers would take for an escape's start, escaped (see `startsEscape`). */
const UNDERSCORE = ascii("_x005F_");
/** Upper-case hex digits for `_xHHHH_` (exceljs decodes only those in shared strings; Excel reads both). */
const HEX = ascii("0123456789ABCDEF");

/** What `xmlCell` does with a byte: copies it, or looks closer. */
const COPY = 0;
const CONTROL = 1;
const QUOTE = 2;
const AMPERSAND = 3;
const LESS = 4;
const GREATER = 5;
const LOW_LINE = 6;
const EF = 7;
const BYTE_CASE = new Uint8Array(256);
BYTE_CASE.fill(CONTROL, 0, 32);
BYTE_CASE[34] = QUOTE;
BYTE_CASE[38] = AMPERSAND;
BYTE_CASE[60] = LESS;
BYTE_CASE[62] = GREATER;
BYTE_CASE[95] = LOW_LINE;
BYTE_CASE[0xef] = EF;

/** 1 for a byte `xmlText` copies as it is, but the comma, which ends an unquoted COPY field (XLSX's line encoder). */
export const XML_FIELD_PLAIN = BYTE_CASE.map((c, b) => (c === COPY && b !== 44 ? 1 : 0));

const isHex = (b: number | undefined) =>
  b !== undefined && ((b >= 48 && b <= 57) || ((b | 32) >= 97 && (b | 32) <= 102));

/**
 * Whether the `_` at `src[k]` would be read as an escape's start once written: `_x` or `_X`, 1 to 4 hex digits,
 * then a `_` or a character written as `_xHHHH_`. Excel decodes `_xHHHH_`, SheetJS `_XHHHH_` too, LibreOffice
 * `_xH_` to `_xHHHH_`. Any other `_` stays (escaping every `_` has been reported to make Excel repair a file).
 */
function startsEscape(src: Buffer, k: number, e: number): boolean {
  const x = src[k + 1];
  if (x !== 120 && x !== 88) return false;
  let q = k + 2;
  while (q < e && q < k + 6 && isHex(src[q])) q++;
  if (q === k + 2 || q >= e) return false;
  const next = src[q] as number;
  return next === 95 || next < 32 || (next === 0xef && isNonCharacter(src, q, e));
}

/** U+FFFE or U+FFFF (EF BF BE, EF BF BF) at `src[k]`: no XML characters. */
function isNonCharacter(src: Buffer, k: number, e: number): boolean {
  const last = src[k + 2];
  return k + 2 < e && src[k + 1] === 0xbf && (last === 0xbe || last === 0xbf);
}

/** `_xHHHH_` for the UTF-16 unit `code`, written at `p`; returns the position after it. */
function putEscape(buf: Buffer, p: number, code: number): number {
  buf[p] = 95;
  buf[p + 1] = 120;
  buf[p + 2] = HEX[code >> 12] as number;
  buf[p + 3] = HEX[(code >> 8) & 15] as number;
  buf[p + 4] = HEX[(code >> 4) & 15] as number;
  buf[p + 5] = HEX[code & 15] as number;
  buf[p + 6] = 95;
  return p + 7;
}

/** The text after `<c r="A2"` (and its style) that opens an inline string: `preserve` keeps edge spaces. */
export const STRING_HEAD = '" t="inlineStr"><is><t>';
export const STRING_HEAD_PRESERVE = '" t="inlineStr"><is><t xml:space="preserve">';
export const STRING_TAIL = "</t></is></c>";

const STRING_OPEN = ascii(STRING_HEAD);
const STRING_OPEN_PRESERVE = ascii(STRING_HEAD_PRESERVE);
const STRING_CLOSE = ascii(STRING_TAIL);

/** Most bytes one source byte becomes in `xmlCell` (`_x0009_`, `_x005F_`). */
export const XML_GROWTH = 7;
/** Room for a cell's markup besides its text (`<c r="XFD1048576" s="…" t="inlineStr"><is><t xml:space…`). */
export const CELL_MARKUP = 96;

/** Whether a cell's text needs `xml:space="preserve"`: only a space can be XML white space at an edge (tab, LF and CR are escaped). */
export function preservesSpace(src: Buffer, s: number, e: number): boolean {
  return e > s && (src[s] === 32 || src[e - 1] === 32);
}

/**
 * The rest of an inline-string cell (after `<c r="A2` and its style) written into `buf` at `at`, its text exact;
 * returns the position after it. A text cell is a string, never a formula, whatever it starts with (SPEC §3).
 * Room: `CELL_MARKUP + (e - s) * XML_GROWTH`.
 */
export function xmlCell(buf: Buffer, at: number, src: Buffer, s: number, e: number, doubled: boolean) {
  const p = put(buf, at, preservesSpace(src, s, e) ? STRING_OPEN_PRESERVE : STRING_OPEN);
  return put(buf, xmlText(buf, p, src, s, e, doubled), STRING_CLOSE);
}

/** Whether `xmlText` would copy `src[s..e)` as it is (its quotes single). */
export function escapeFree(src: Uint8Array, s: number, e: number): boolean {
  for (let k = s; k < e; k++) {
    const c = BYTE_CASE[src[k] as number];
    if (c !== COPY && c !== QUOTE) return false;
  }
  return true;
}

/**
 * A cell's text `src[s..e)` escaped into `buf` at `p`; returns the position after it.
 * `&` `<` `>` as entities; what XML 1.0 cannot carry or a reader would normalise (C0 controls with tab, LF and
 * CR, U+FFFE, U+FFFF) as ECMA-376's `_xHHHH_`; a `_` that would read as an escape's start as `_x005F_`. DEL and
 * C1 controls are legal XML. `doubled`: quoted by COPY. Room: `(e - s) * XML_GROWTH`.
 */
export function xmlText(buf: Buffer, p: number, src: Buffer, s: number, e: number, doubled: boolean): number {
  for (let k = s; k < e; k++) {
    const b = src[k] as number;
    switch (BYTE_CASE[b]) {
      case COPY:
        buf[p++] = b;
        break;
      case CONTROL:
        p = putEscape(buf, p, b);
        break;
      case QUOTE:
        buf[p++] = b;
        if (doubled) k++;
        break;
      case AMPERSAND:
        p = put(buf, p, AMP);
        break;
      case LESS:
        p = put(buf, p, LT);
        break;
      case GREATER:
        p = put(buf, p, GT);
        break;
      case LOW_LINE:
        if (startsEscape(src, k, e)) p = put(buf, p, UNDERSCORE);
        else buf[p++] = b;
        break;
      case EF:
        // U+FFFE and U+FFFF are escaped; any other character starting with EF passes.
        if (isNonCharacter(src, k, e)) {
          p = putEscape(buf, p, src[k + 2] === 0xbe ? 0xfffe : 0xffff);
          k += 2;
        } else buf[p++] = b;
    }
  }
  return p;
}

/** `xmlCell` of a string (the header's labels). */
export function xmlCellOf(text: string): string {
  const src = Buffer.from(text, "utf8");
  const buf = Buffer.allocUnsafe(CELL_MARKUP + src.length * XML_GROWTH);
  return buf.toString("utf8", 0, xmlCell(buf, 0, src, 0, src.length, false));
}
