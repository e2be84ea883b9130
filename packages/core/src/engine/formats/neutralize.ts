/**
 * OWASP CSV injection: a CSV text cell that starts with `=`, `+`, `-`, `@`, tab or carriage return would be run as
 * a formula by a spreadsheet opening the file. Such cells get a leading apostrophe in CSV only: JSON is no
 * spreadsheet, and XLSX text cells are strings, never formulas, so both keep the exact text. Numbers stay numbers.
 */
export const DANGEROUS = /^[=+\-@\t\r]/;

export function neutralize(text: string): string {
  return isFormulaStart(text.charCodeAt(0)) ? `'${text}` : text;
}

/** The characters of DANGEROUS, by char code: `=` `+` `-` `@` tab CR. */
export function isFormulaStart(code: number): boolean {
  return code === 61 || code === 43 || code === 45 || code === 64 || code === 9 || code === 13;
}

/** What `/\s/` matches in JavaScript, by char code (white space and line terminators). */
export function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** True when the text starts or ends with white space (`/^\s|\s$/`). */
export function hasEdgeSpace(text: string): boolean {
  return text.length > 0 && (isSpace(text.charCodeAt(0)) || isSpace(text.charCodeAt(text.length - 1)));
}
