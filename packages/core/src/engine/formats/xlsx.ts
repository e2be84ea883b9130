import type { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import type { ValueType } from "../../contract";
import type { ResourceField } from "../../resources/types";
import { ascii, fieldText, put, putRange, type RowFields } from "./bytes";
import { compactJson, headerLabels } from "./cells";
import { crc32Combine } from "./crc32";
import { end } from "./io";
import {
  decodeTrailer,
  deflateText,
  SEGMENT_TRAILER_BYTES,
  type SegmentInfo,
  segmentStages,
} from "./segment";
import { encodePageWith, type FormatWriter, type PartFile } from "./types";
import { LayoutSink, ZipWriter } from "./zip";

/** Excel's limit of rows per sheet, header included. */
export const XLSX_MAX_ROWS = 1_048_576;
/** Data rows per sheet (the header takes one). */
const SHEET_ROWS = XLSX_MAX_ROWS - 1;

/** Style ids in styles.xml: 1 = date-time cells, 2 = the bold header, 3… = decimals (one per scale, `styles`). */
const DATE_STYLE = 1;
const HEADER_STYLE = 2;
const FIRST_DECIMAL_STYLE = 3;
/**
 * Date-times show to the millisecond, as the list has them: a spreadsheet rounds a time to the unit it shows, so
 * with seconds alone 10:11:12.600 would show as 10:11:13.
 */
const DATE_FORMAT = "yyyy-mm-dd hh:mm:ss.000";

const NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships";
const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

/** A, B, …, Z, AA, … */
export function columnName(index: number): string {
  let n = index + 1;
  let name = "";
  while (n > 0) {
    const r = (n - 1) % 26;
    name = String.fromCharCode(65 + r) + name;
    n = Math.floor((n - 1) / 26);
  }
  return name;
}

const ROW_OPEN = ascii('<row r="');
const TAG_END = ascii('">');
const ROW_CLOSE = ascii("</row>\n");
const DATE_OPEN = ascii(`" s="${DATE_STYLE}"><v>`);
const VALUE_CLOSE = ascii("</v></c>");
const BOOL_TRUE = ascii('" t="b"><v>1</v></c>');
const BOOL_FALSE = ascii('" t="b"><v>0</v></c>');
const STRING_OPEN = ascii('" t="inlineStr"><is><t>');
const STRING_OPEN_PRESERVE = ascii('" t="inlineStr"><is><t xml:space="preserve">');
const STRING_CLOSE = ascii("</t></is></c>");

/** Cell kinds by value type, as numbers (a cheaper switch per cell). */
const TEXT = 0;
const NUMBER = 1;
const BOOLEAN = 2;
const DATETIME = 3;
const JSON_TEXT = 4;
const KIND: Record<ValueType, number> = {
  text: TEXT,
  integer: NUMBER,
  decimal: NUMBER,
  boolean: BOOLEAN,
  datetime: DATETIME,
  json: JSON_TEXT,
};

const AMP = ascii("&amp;");
const LT = ascii("&lt;");
const GT = ascii("&gt;");
/** A literal `_` that readers would take for an escape's start, escaped (see `startsEscape`). */
const UNDERSCORE = ascii("_x005F_");
/** Upper-case hex digits for `_xHHHH_` (exceljs decodes only those in shared strings; Excel reads both). */
const HEX = ascii("0123456789ABCDEF");

/** What `xmlCell` does with a byte (`BYTE_CASE`): copies it (0), or looks closer. */
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

const isHex = (b: number | undefined) =>
  b !== undefined && ((b >= 48 && b <= 57) || ((b | 32) >= 97 && (b | 32) <= 102));

/**
 * Whether the `_` at `src[k]` would be read as the start of an escape once written: `_x` (or `_X`) and 1 to 4 hex
 * digits, then what is written as a `_` — a `_`, or a character written as `_xHHHH_` (a C0 control, U+FFFE,
 * U+FFFF). Readers differ: Excel decodes `_xHHHH_`, SheetJS `_XHHHH_` too, LibreOffice `_xH_` to `_xHHHH_` (for
 * the characters it escapes itself), all left to right. Any other `_` stays as it is (a file whose every `_` was
 * escaped has been reported to make Excel repair it).
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

/** Most bytes one source byte becomes in `xmlCell` (`_x0009_`, `_x005F_`). */
const XML_GROWTH = 7;
/** Room for a cell's markup besides its text (`<c r="XFD1048576" s="…" t="inlineStr"><is><t xml:space…`). */
const CELL_MARKUP = 96;

/**
 * The rest of an inline-string cell (after `<c r="A2`, and its style if any) written into `buf` at `p`, its text
 * exactly, escaped byte by byte; returns the position after it. No formula, no apostrophe: a text cell is a string
 * whatever it starts with. Every character is kept: `&` `<` `>` as entities; what XML 1.0 cannot carry or a reader
 * would normalise — the C0 controls, tab, LF and CR included, and U+FFFE, U+FFFF — as ECMA-376's `_xHHHH_`
 * (ST_Xstring), which Excel, LibreOffice and SheetJS decode; a literal `_` that a reader would take for the start
 * of an escape as `_x005F_` (`startsEscape`), so it reads back as itself. DEL and the C1 controls are legal XML:
 * copied. `doubled`: the field was quoted by COPY (each quote inside doubled). Room: `CELL_MARKUP + (e - s) *
 * XML_GROWTH`.
 */
function xmlCell(buf: Buffer, at: number, src: Buffer, s: number, e: number, doubled: boolean) {
  // Only a space can be XML white space at an edge: tab, LF and CR are escaped.
  const preserve = e > s && (src[s] === 32 || src[e - 1] === 32);
  let p = put(buf, at, preserve ? STRING_OPEN_PRESERVE : STRING_OPEN);
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
  return put(buf, p, STRING_CLOSE);
}

/** A text as the rest of an inline-string cell (`xmlCell`): the header's labels. */
function xmlCellOf(text: string): string {
  const src = Buffer.from(text, "utf8");
  const buf = Buffer.allocUnsafe(CELL_MARKUP + src.length * XML_GROWTH);
  return buf.toString("utf8", 0, xmlCell(buf, 0, src, 0, src.length, false));
}

/** A decimal field's scale (its column's, e.g. 2 for numeric(12,2)), or null when it declares none. */
function decimalScale(field: ResourceField): number | null {
  const scale = field.type === "decimal" ? (field.column as { scale?: number }).scale : undefined;
  return typeof scale === "number" ? scale : null;
}

/**
 * styles.xml for these fields, and each field's cell style (0: none). A decimal shows its column's scale as
 * fixed decimals (`0.00` for numeric(12,2): 792.90 shows as 792.90), without thousands separators, so a cell
 * shows the list's digits; one cell format per distinct scale.
 */
function styles(fields: readonly ResourceField[]) {
  const scales = [...new Set(fields.map(decimalScale).filter((n) => n !== null))].sort((a, b) => a - b);
  const cellStyle = fields.map((f) => {
    if (f.type === "datetime") return DATE_STYLE;
    const scale = decimalScale(f);
    return scale === null ? 0 : FIRST_DECIMAL_STYLE + scales.indexOf(scale);
  });
  const numFmts = [
    `<numFmt numFmtId="164" formatCode="${DATE_FORMAT}"/>`,
    ...scales.map(
      (n, i) => `<numFmt numFmtId="${165 + i}" formatCode="${n > 0 ? `0.${"0".repeat(n)}` : "0"}"/>`,
    ),
  ];
  const decimalXfs = scales.map(
    (_, i) => `<xf numFmtId="${165 + i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`,
  );
  const xml =
    `${XML_DECL}<styleSheet xmlns="${NS_MAIN}">` +
    `<numFmts count="${numFmts.length}">${numFmts.join("")}</numFmts>` +
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>' +
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
    `<cellXfs count="${FIRST_DECIMAL_STYLE + scales.length}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>' +
    `${decimalXfs.join("")}</cellXfs>` +
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
    "</styleSheet>";
  return { xml, cellStyle };
}

/**
 * A worksheet's head for a sheet of `rows` data rows: its `<dimension>` (the header row and the data, every field's
 * column), column widths and styles, the header row.
 */
function sheetHead(fields: readonly ResourceField[], labels: string[], cellStyle: number[], rows: number) {
  const cols = fields
    .map((_, i) => {
      const width = Math.min(40, Math.max(10, (labels[i] ?? "").length + 2));
      const style = cellStyle[i] ? ` style="${cellStyle[i]}"` : "";
      return `<col min="${i + 1}" max="${i + 1}" width="${width}" customWidth="1"${style}/>`;
    })
    .join("");
  const header = labels.map((l, i) => `<c r="${columnName(i)}1" s="${HEADER_STYLE}${xmlCellOf(l)}`).join("");
  const last = `${fields.length > 0 ? columnName(fields.length - 1) : "A"}${rows + 1}`;
  return (
    `${XML_DECL}<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><dimension ref="A1:${last}"/>` +
    `${cols ? `<cols>${cols}</cols>` : ""}<sheetData>\n<row r="1">${header}</row>\n`
  );
}

/** Each sheet's head (`sheetHead`) for an export of `rows` rows, `sheetRows` to a sheet, by sheet index. */
function sheetHeads(fields: readonly ResourceField[], language: string, rows: number, sheetRows: number) {
  const labels = headerLabels(fields, language);
  const { cellStyle } = styles(fields);
  return (sheet: number) =>
    sheetHead(fields, labels, cellStyle, Math.max(0, Math.min(sheetRows, rows - sheet * sheetRows)));
}
const SHEET_TAIL = "</sheetData></worksheet>";

function packageParts(sheets: number, stylesXml: string): Array<[string, string]> {
  const ids = Array.from({ length: sheets }, (_, i) => i + 1);
  const sheetName = (n: number) => (n === 1 ? "Export" : `Export ${n}`);
  return [
    [
      "[Content_Types].xml",
      `${XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
        ids
          .map(
            (n) =>
              `<Override PartName="/xl/worksheets/sheet${n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
          )
          .join("") +
        "</Types>",
    ],
    [
      "_rels/.rels",
      `${XML_DECL}<Relationships xmlns="${NS_PKG_REL}">` +
        `<Relationship Id="rId1" Type="${NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ],
    [
      "xl/workbook.xml",
      `${XML_DECL}<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><bookViews><workbookView/></bookViews><sheets>` +
        ids.map((n) => `<sheet name="${sheetName(n)}" sheetId="${n}" r:id="rId${n}"/>`).join("") +
        "</sheets></workbook>",
    ],
    [
      "xl/_rels/workbook.xml.rels",
      `${XML_DECL}<Relationships xmlns="${NS_PKG_REL}">` +
        ids
          .map(
            (n) =>
              `<Relationship Id="rId${n}" Type="${NS_REL}/worksheet" Target="worksheets/sheet${n}.xml"/>`,
          )
          .join("") +
        `<Relationship Id="rId${sheets + 1}" Type="${NS_REL}/styles" Target="styles.xml"/></Relationships>`,
    ],
    ["xl/styles.xml", stylesXml],
  ];
}

/** The parts' bytes as one sequence of chunks that a sheet can stop reading at a row boundary. */
class RowCursor {
  private pending: Buffer | null = null;
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(parts: AsyncIterable<Readable>) {
    this.chunks = (async function* () {
      for await (const part of parts) for await (const chunk of part) yield chunk as Buffer;
    })();
  }

  private async next(): Promise<Buffer | null> {
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      return p;
    }
    const r = await this.chunks.next();
    return r.done ? null : r.value;
  }

  async atEnd(): Promise<boolean> {
    const chunk = await this.next();
    if (chunk) this.pending = chunk;
    return chunk === null;
  }

  /** Up to `rows` rows (lines), as chunks. */
  async *take(rows: number): AsyncGenerator<Buffer> {
    let left = rows;
    while (left > 0) {
      const chunk = await this.next();
      if (!chunk) return;
      let at = 0;
      while (left > 0) {
        const nl = chunk.indexOf(10, at);
        if (nl === -1) break;
        at = nl + 1;
        left--;
      }
      if (left === 0 && at < chunk.length) {
        this.pending = chunk.subarray(at);
        yield chunk.subarray(0, at);
        return;
      }
      yield chunk;
    }
  }
}

/** A part's segment and where it came from (the part and its index among the export's parts). */
interface Segment extends SegmentInfo {
  file: PartFile;
  index: number;
}

/** Each part's trailer, or null when a part has none (written by an earlier version: raw XML rows). */
async function readSegments(parts: AsyncIterable<PartFile>): Promise<Segment[] | null> {
  const segments: Segment[] = [];
  let legacy = false;
  let index = -1;
  for await (const file of parts) {
    index++;
    const size = await file.size();
    if (size === null) throw new Error("a part of the export is missing");
    const trailer =
      size >= SEGMENT_TRAILER_BYTES
        ? decodeTrailer(await buffer(file.read({ start: size - SEGMENT_TRAILER_BYTES, end: size })))
        : null;
    if (!trailer) legacy = true;
    else if (trailer.compressed + SEGMENT_TRAILER_BYTES !== size) throw new Error("a part is truncated");
    else segments.push({ ...trailer, file, index });
  }
  if (legacy) {
    if (segments.length > 0) throw new Error("parts of two versions in one export");
    return null;
  }
  return segments;
}

/**
 * An Excel workbook (.xlsx), written here as its XML parts in a streamed ZIP: every row a line of a page's
 * part (numbered `<row r>` and cell references), typed cells — numbers (decimals with their scale's format),
 * booleans, date-times (serial days with a date format), inline strings (the exact text, never a formula), a new
 * sheet every `sheetRows` data rows (Excel's limit by default), each declaring its dimension. A page never crosses a sheet's end, and deflates its rows into its part as a segment
 * (see `segment.ts`); the assembly joins each sheet's segments between its deflated head and tail, so
 * memory stays constant whatever the size and the assembly only copies compressed bytes.
 */
export function createXlsxWriter(sheetRows = SHEET_ROWS): FormatWriter {
  const writer: FormatWriter = {
    format: "xls",
    extension: "xlsx",
    contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    booleans: "tf",
    datetime: "serial",
    rowEncoder(fields, firstRow) {
      const kinds = Uint8Array.from(fields, (f) => KIND[f.type]);
      const cellOpen = fields.map((_, i) => ascii(`<c r="${columnName(i)}`));
      // A number's value opens after its style, if its field has one (a decimal's scale).
      const { cellStyle } = styles(fields);
      const numberOpen = cellStyle.map((style) => ascii(style ? `" s="${style}"><v>` : '"><v>'));
      const count = kinds.length;
      // The row number's digits, written once per row and once per cell.
      const r = new Uint8Array(16);
      let index = firstRow;
      // Room for a row: its markup, and every source byte of its fields escaped at worst.
      const room = (row: RowFields) =>
        64 + count * CELL_MARKUP + ((row.end[count - 1] ?? 0) - (row.start[0] ?? 0)) * XML_GROWTH;
      return (row, out) => {
        const { src, start, end, quoted } = row;
        let n = (index % sheetRows) + 2;
        let digits = 0;
        for (let m = n; m > 0; m = Math.floor(m / 10)) digits++;
        for (let k = digits - 1; k >= 0; k--) {
          r[k] = 48 + (n % 10);
          n = Math.floor(n / 10);
        }
        out.ensure(room(row));
        let buf = out.buf;
        let p = put(buf, out.pos, ROW_OPEN);
        p = put(buf, p, r, digits);
        p = put(buf, p, TAG_END);
        for (let i = 0; i < count; i++) {
          const s = start[i] as number;
          const e = end[i] as number;
          if (quoted[i] === 0 && s === e) continue; // NULL: no cell
          p = put(buf, p, cellOpen[i] as Uint8Array);
          p = put(buf, p, r, digits);
          switch (kinds[i]) {
            case NUMBER: {
              // Digits with an optional sign and point; NaN and ±Infinity stay text.
              const last = src[e - 1] as number;
              if (last >= 48 && last <= 57) {
                p = put(buf, p, numberOpen[i] as Uint8Array);
                p = putRange(buf, p, src, s, e);
                p = put(buf, p, VALUE_CLOSE);
              } else p = xmlCell(buf, p, src, s, e, quoted[i] === 1);
              break;
            }
            case BOOLEAN:
              p = put(buf, p, src[s] === 116 ? BOOL_TRUE : BOOL_FALSE);
              break;
            case DATETIME:
              p = put(buf, p, DATE_OPEN);
              p = putRange(buf, p, src, s, e);
              p = put(buf, p, VALUE_CLOSE);
              break;
            case JSON_TEXT: {
              // Compacted JSON can be longer than its source: room of its own, then the row's again.
              const text = Buffer.from(compactJson(fieldText(row, i)), "utf8");
              out.pos = p;
              out.ensure(CELL_MARKUP + text.length * XML_GROWTH + room(row));
              buf = out.buf;
              p = xmlCell(buf, out.pos, text, 0, text.length, false);
              break;
            }
            default:
              p = xmlCell(buf, p, src, s, e, quoted[i] === 1);
          }
        }
        out.pos = put(buf, p, ROW_CLOSE);
        index++;
      };
    },
    partStages(firstRow) {
      return segmentStages(Math.floor(firstRow / sheetRows));
    },
    pageLimit(firstRow, pageSize) {
      return Math.min(pageSize, sheetRows - (firstRow % sheetRows));
    },
    encodePage(fields, rows, firstRow) {
      return encodePageWith(writer, fields, rows, firstRow);
    },
    async assemble(out, { fields, language, rows, parts, partsBytes }) {
      const zip = new ZipWriter(out);
      const head = sheetHeads(fields, language, rows, sheetRows);
      const segments = await readSegments(parts());
      let sheets = 0;
      if (segments === null) {
        sheets = await addLegacySheets(zip, head, parts(), sheetRows, partsBytes);
      } else {
        sheets = await addSheets(zip, head, segments);
      }
      for (const [name, text] of packageParts(sheets, styles(fields).xml)) await zip.addText(name, text);
      await zip.finish();
      await end(out);
    },
    async layout({ fields, language, rows, parts }) {
      // The same archive, its sheets' data left in the parts (no copy); parts of an earlier version are copied.
      const segments = await readSegments(parts());
      if (segments === null) return null;
      const sink = new LayoutSink();
      const zip = new ZipWriter(sink);
      const head = sheetHeads(fields, language, rows, sheetRows);
      const sheets = await addSheets(zip, head, segments, true);
      for (const [name, text] of packageParts(sheets, styles(fields).xml)) await zip.addText(name, text);
      await zip.finish();
      return sink.done();
    },
  };
  return writer;
}

export const xlsxWriter = createXlsxWriter();

/** How many sheets the segments fill: parts come in page order, their sheets 0, 0, …, 1, 1, … without a gap. */
function sheetCount(segments: Segment[]): number {
  let previous = 0;
  for (const s of segments) {
    if (s.sheet !== previous && s.sheet !== previous + 1) throw new Error("parts out of sheet order");
    previous = s.sheet;
  }
  return previous + 1;
}

/** Every worksheet, from the parts' segments in sheet order (`layout`: see `addSheet`); returns how many. */
async function addSheets(
  zip: ZipWriter,
  head: (sheet: number) => string,
  segments: Segment[],
  layout = false,
): Promise<number> {
  const sheets = sheetCount(segments);
  for (let sheet = 0; sheet < sheets; sheet++) {
    await addSheet(
      zip,
      sheet + 1,
      head(sheet),
      segments.filter((s) => s.sheet === sheet),
      layout,
    );
  }
  return sheets;
}

/**
 * One worksheet: its head, the rows' segments, its tail, as one deflate stream with the joined CRC-32. `layout`:
 * the segments are noted as ranges of their parts (the zip writes into a `LayoutSink`), not copied.
 */
async function addSheet(zip: ZipWriter, n: number, head: string, segments: Segment[], layout = false) {
  const first = deflateText(head, false);
  const last = deflateText(SHEET_TAIL, true);
  let crc = first.crc;
  let size = first.size;
  for (const s of segments) {
    crc = crc32Combine(crc, s.crc, s.size);
    size += s.size;
  }
  crc = crc32Combine(crc, last.crc, last.size);
  size += last.size;
  const name = `xl/worksheets/sheet${n}.xml`;
  if (layout) {
    await zip.addDeflatedParts(name, { crc, size }, [
      first.data,
      ...segments.map((s) => ({ part: s.index, start: 0, end: s.compressed })),
      last.data,
    ]);
    return;
  }
  await zip.addDeflated(
    name,
    { crc, size },
    (async function* () {
      yield first.data;
      for (const s of segments) {
        for await (const chunk of s.file.read({ start: 0, end: s.compressed })) yield chunk as Buffer;
      }
      yield last.data;
    })(),
  );
}

/** Parts of raw XML rows (an export begun by an earlier version): deflated here, split into sheets. */
async function addLegacySheets(
  zip: ZipWriter,
  head: (sheet: number) => string,
  parts: AsyncIterable<PartFile>,
  sheetRows: number,
  partsBytes: number | undefined,
): Promise<number> {
  const cursor = new RowCursor(
    (async function* () {
      for await (const part of parts) yield part.read();
    })(),
  );
  let sheets = 0;
  do {
    const sheetHead = head(sheets);
    sheets++;
    const bound =
      partsBytes === undefined ? undefined : partsBytes + Buffer.byteLength(sheetHead) + SHEET_TAIL.length;
    await zip.add(
      `xl/worksheets/sheet${sheets}.xml`,
      (async function* () {
        yield sheetHead;
        yield* cursor.take(sheetRows);
        yield SHEET_TAIL;
      })(),
      bound,
    );
  } while (!(await cursor.atEnd()));
  return sheets;
}
