import { buffer } from "node:stream/consumers";
import type { ResourceField } from "../../../resources/types";
import { headerLabels } from "../cells";
import { crc32Combine } from "../crc32";
import { decodeTrailer, deflateText, SEGMENT_TRAILER_BYTES, type SegmentInfo } from "../segment";
import type { AssembleInput, FileSegment, PartFile } from "../types";
import { LayoutSink, ZipWriter } from "../zip";
import { zonedLabel } from "../zoned";
import { HEADER_STYLE, styles } from "./styles";
import { NS_MAIN, NS_PKG_REL, NS_REL, XML_DECL, xmlCellOf } from "./text";

/**
 * Issue 17's options as a sheet shows them: a header row or none, and the zone its date-times are local times in
 * (null: UTC, as today), which the date-time columns' header labels name.
 */
export interface SheetOptions {
  header: boolean;
  zone: string | null;
}
export const DEFAULT_SHEET: SheetOptions = { header: true, zone: null };

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

/** A worksheet's head for `rows` data rows: its `<dimension>`, column widths and styles, the header row. */
function sheetHead(
  fields: readonly ResourceField[],
  labels: string[],
  cellStyle: number[],
  rows: number,
  withHeader: boolean,
) {
  const cols = fields
    .map((_, i) => {
      const width = Math.min(40, Math.max(10, (labels[i] ?? "").length + 2));
      const style = cellStyle[i] ? ` style="${cellStyle[i]}"` : "";
      return `<col min="${i + 1}" max="${i + 1}" width="${width}" customWidth="1"${style}/>`;
    })
    .join("");
  const header = labels.map((l, i) => `<c r="${columnName(i)}1" s="${HEADER_STYLE}${xmlCellOf(l)}`).join("");
  const last = `${fields.length > 0 ? columnName(fields.length - 1) : "A"}${Math.max(1, withHeader ? rows + 1 : rows)}`;
  return (
    `${XML_DECL}<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><dimension ref="A1:${last}"/>` +
    `${cols ? `<cols>${cols}</cols>` : ""}<sheetData>\n${withHeader ? `<row r="1">${header}</row>\n` : ""}`
  );
}

/** Each sheet's head, by sheet index, for an export of `rows` rows, `sheetRows` to a sheet. */
function sheetHeads(
  fields: readonly ResourceField[],
  language: string,
  rows: number,
  sheetRows: number,
  options: SheetOptions,
) {
  const { zone } = options;
  const labels = headerLabels(fields, language).map((l, i) =>
    zone !== null && fields[i]?.type === "datetime" ? zonedLabel(l, zone) : l,
  );
  const { cellStyle } = styles(fields);
  return (sheet: number) =>
    sheetHead(
      fields,
      labels,
      cellStyle,
      Math.max(0, Math.min(sheetRows, rows - sheet * sheetRows)),
      options.header,
    );
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

/** A part's segment and the part's index. */
interface Segment extends SegmentInfo {
  index: number;
}

/** Each part's segment, from its trailer (`segment.ts`). */
async function readSegments(parts: AsyncIterable<PartFile>): Promise<Segment[]> {
  const segments: Segment[] = [];
  let index = -1;
  for await (const file of parts) {
    index++;
    const size = await file.size();
    if (size === null) throw new Error("a part of the export is missing");
    const trailer =
      size >= SEGMENT_TRAILER_BYTES
        ? decodeTrailer(await buffer(file.read({ start: size - SEGMENT_TRAILER_BYTES, end: size })))
        : null;
    if (!trailer) throw new Error("a part has no segment trailer");
    if (trailer.compressed + SEGMENT_TRAILER_BYTES !== size) throw new Error("a part is truncated");
    segments.push({ ...trailer, index });
  }
  return segments;
}

/** How many sheets the segments fill: parts come in page order, their sheets 0, 0, …, 1, 1, … without a gap. */
function sheetCount(segments: Segment[]): number {
  let previous = 0;
  for (const s of segments) {
    if (s.sheet !== previous && s.sheet !== previous + 1) throw new Error("parts out of sheet order");
    previous = s.sheet;
  }
  return previous + 1;
}

/** One worksheet: its head, the parts' segments (not copied), its tail, as one deflate stream. */
function addSheet(zip: ZipWriter, n: number, head: string, segments: Segment[]) {
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
  zip.addDeflatedParts(`xl/worksheets/sheet${n}.xml`, { crc, size }, [
    first.data,
    ...segments.map((s) => ({ part: s.index, start: 0, end: s.compressed })),
    last.data,
  ]);
}

/** The workbook as a layout: the ZIP's own bytes around the pages' segments, which stay in the parts. */
export async function workbookLayout(
  { fields, language, rows, parts }: AssembleInput,
  sheetRows: number,
  options: SheetOptions = DEFAULT_SHEET,
): Promise<FileSegment[]> {
  const segments = await readSegments(parts());
  const sink = new LayoutSink();
  const zip = new ZipWriter(sink);
  const head = sheetHeads(fields, language, rows, sheetRows, options);
  const sheets = sheetCount(segments);
  for (let sheet = 0; sheet < sheets; sheet++) {
    addSheet(
      zip,
      sheet + 1,
      head(sheet),
      segments.filter((s) => s.sheet === sheet),
    );
  }
  for (const [name, text] of packageParts(sheets, styles(fields).xml)) zip.addText(name, text);
  zip.finish();
  return sink.done();
}
