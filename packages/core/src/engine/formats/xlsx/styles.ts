import type { ResourceField } from "../../../resources/types";
import { NS_MAIN, XML_DECL } from "./text";

/** Style ids in styles.xml: 1 = date-time cells, 2 = the bold header, 3… = decimals (one per scale, `styles`). */
export const DATE_STYLE = 1;
export const HEADER_STYLE = 2;
const FIRST_DECIMAL_STYLE = 3;
/** To the millisecond: a spreadsheet rounds a time to the unit it shows (10:11:12.600 would show 10:11:13). */
const DATE_FORMAT = "yyyy-mm-dd hh:mm:ss.000";

/** A decimal field's scale (its column's, e.g. 2 for numeric(12,2)), or null when it declares none. */
function decimalScale(field: ResourceField): number | null {
  const scale = field.type === "decimal" ? (field.column as { scale?: number }).scale : undefined;
  return typeof scale === "number" ? scale : null;
}

/**
 * styles.xml for these fields, and each field's cell style (0: none). A decimal shows its column's scale
 * (`0.00` for numeric(12,2): 792.90 as 792.90), no thousands separator; one cell format per scale.
 */
export function styles(fields: readonly ResourceField[]) {
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
