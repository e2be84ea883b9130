import type { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import type { ResourceField, ValueType } from "../../resources/types";
import { ascii, fieldText, isFormulaByte, put, putRange, type RowFields } from "./bytes";
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

/** Style ids in styles.xml: 1 = date-time cells, 2 = the bold header. */
const DATE_STYLE = 1;
const HEADER_STYLE = 2;

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

// Characters XML 1.0 cannot carry are dropped (as exceljs does); CR and LF become character references, so a
// row stays on one line of its part and a CR survives XML's line-end normalisation.
const XML_ESCAPES: Record<number, string> = { 38: "&amp;", 60: "&lt;", 62: "&gt;", 13: "&#13;", 10: "&#10;" };

/** Text escaped for XML content (used for the header; rows are escaped byte by byte by `xmlString`). */
export function xmlText(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const escaped = XML_ESCAPES[c];
    if (escaped) out += escaped;
    else if (c >= 32 ? c !== 127 : c === 9) out += text[i];
  }
  return out;
}

/** XML white space (space, tab, LF, CR) at either end: kept with xml:space="preserve". */
function xmlEdgeSpace(text: string): boolean {
  const a = text.charCodeAt(0);
  const b = text.charCodeAt(text.length - 1);
  return a === 32 || a === 9 || a === 10 || a === 13 || b === 32 || b === 9 || b === 10 || b === 13;
}

function inlineString(ref: string, text: string, style = ""): string {
  const space = xmlEdgeSpace(text) ? ' xml:space="preserve"' : "";
  return `<c r="${ref}"${style} t="inlineStr"><is><t${space}>${xmlText(text)}</t></is></c>`;
}

const ROW_OPEN = ascii('<row r="');
const TAG_END = ascii('">');
const ROW_CLOSE = ascii("</row>\n");
const NUMBER_OPEN = ascii('"><v>');
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

const isXmlSpace = (b: number | undefined) => b === 32 || b === 9 || b === 10 || b === 13;

const AMP = ascii("&amp;");
const LT = ascii("&lt;");
const GT = ascii("&gt;");
const CR = ascii("&#13;");
const LF = ascii("&#10;");

/** Most bytes one source byte becomes in `xmlCell` (`&amp;`, `&#13;`). */
const XML_GROWTH = 5;
/** Room for a cell's markup besides its text (`<c r="XFD1048576" t="inlineStr"><is><t xml:space…`, `'`). */
const CELL_MARKUP = 96;

/**
 * The rest of an inline-string cell (after `<c r="A2`) written into `buf` at `p`, its text escaped byte by
 * byte as `xmlText` does; returns the position after it. `doubled`: the field was quoted by COPY (each quote
 * inside doubled). `neutral`: prefix the apostrophe. Room: `CELL_MARKUP + (e - s) * XML_GROWTH`.
 */
function xmlCell(
  buf: Buffer,
  at: number,
  src: Buffer,
  s: number,
  e: number,
  doubled: boolean,
  neutral: boolean,
) {
  const preserve = (!neutral && isXmlSpace(src[s])) || (e > s && isXmlSpace(src[e - 1]));
  let p = put(buf, at, preserve ? STRING_OPEN_PRESERVE : STRING_OPEN);
  if (neutral) buf[p++] = 39;
  for (let k = s; k < e; k++) {
    const b = src[k] as number;
    if (b > 62 ? b !== 127 : b >= 32 && b !== 38 && b !== 60 && b !== 62) {
      buf[p++] = b;
      if (b === 34 && doubled) k++;
    } else if (b === 38) p = put(buf, p, AMP);
    else if (b === 60) p = put(buf, p, LT);
    else if (b === 62) p = put(buf, p, GT);
    else if (b === 13) p = put(buf, p, CR);
    else if (b === 10) p = put(buf, p, LF);
    // Other control characters (and DEL) cannot be carried by XML 1.0: dropped.
  }
  return put(buf, p, STRING_CLOSE);
}

function sheetHead(fields: readonly ResourceField[], labels: string[]) {
  const cols = fields
    .map((f, i) => {
      const width = Math.min(40, Math.max(10, (labels[i] ?? "").length + 2));
      const style = f.type === "datetime" ? ` style="${DATE_STYLE}"` : "";
      return `<col min="${i + 1}" max="${i + 1}" width="${width}" customWidth="1"${style}/>`;
    })
    .join("");
  const header = labels.map((l, i) => inlineString(`${columnName(i)}1`, l, ` s="${HEADER_STYLE}"`)).join("");
  return (
    `${XML_DECL}<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}">` +
    `${cols ? `<cols>${cols}</cols>` : ""}<sheetData>\n<row r="1">${header}</row>\n`
  );
}
const SHEET_TAIL = "</sheetData></worksheet>";

const STYLES =
  `${XML_DECL}<styleSheet xmlns="${NS_MAIN}">` +
  '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>' +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>' +
  '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  "</styleSheet>";

function packageParts(sheets: number): Array<[string, string]> {
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
    ["xl/styles.xml", STYLES],
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
 * part (numbered `<row r>` and cell references), typed cells — numbers, booleans, date-times (serial days
 * with a date format), inline strings (neutralised text), a new sheet every `sheetRows` data rows (Excel's
 * limit by default). A page never crosses a sheet's end, and deflates its rows into its part as a segment
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
                p = put(buf, p, NUMBER_OPEN);
                p = putRange(buf, p, src, s, e);
                p = put(buf, p, VALUE_CLOSE);
              } else p = xmlCell(buf, p, src, s, e, quoted[i] === 1, false);
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
              const json = compactJson(fieldText(row, i));
              const text = Buffer.from(isFormulaByte(json.charCodeAt(0)) ? `'${json}` : json, "utf8");
              out.pos = p;
              out.ensure(CELL_MARKUP + text.length * XML_GROWTH + room(row));
              buf = out.buf;
              p = xmlCell(buf, out.pos, text, 0, text.length, false, false);
              break;
            }
            default:
              p = xmlCell(buf, p, src, s, e, quoted[i] === 1, isFormulaByte(src[s]));
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
    async assemble(out, { fields, language, parts, partsBytes }) {
      const zip = new ZipWriter(out);
      const head = sheetHead(fields, headerLabels(fields, language));
      const segments = await readSegments(parts());
      let sheets = 0;
      if (segments === null) {
        sheets = await addLegacySheets(zip, head, parts(), sheetRows, partsBytes);
      } else {
        sheets = await addSheets(zip, head, segments);
      }
      for (const [name, text] of packageParts(sheets)) await zip.addText(name, text);
      await zip.finish();
      await end(out);
    },
    async layout({ fields, language, parts }) {
      // The same archive, its sheets' data left in the parts (no copy); parts of an earlier version are copied.
      const segments = await readSegments(parts());
      if (segments === null) return null;
      const sink = new LayoutSink();
      const zip = new ZipWriter(sink);
      const head = sheetHead(fields, headerLabels(fields, language));
      const sheets = await addSheets(zip, head, segments, true);
      for (const [name, text] of packageParts(sheets)) await zip.addText(name, text);
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
async function addSheets(zip: ZipWriter, head: string, segments: Segment[], layout = false): Promise<number> {
  const sheets = sheetCount(segments);
  for (let sheet = 0; sheet < sheets; sheet++) {
    await addSheet(
      zip,
      sheet + 1,
      head,
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
  head: string,
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
    sheets++;
    const bound =
      partsBytes === undefined ? undefined : partsBytes + Buffer.byteLength(head) + SHEET_TAIL.length;
    await zip.add(
      `xl/worksheets/sheet${sheets}.xml`,
      (async function* () {
        yield head;
        yield* cursor.take(sheetRows);
        yield SHEET_TAIL;
      })(),
      bound,
    );
  } while (!(await cursor.atEnd()));
  return sheets;
}
