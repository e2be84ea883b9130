import { parse as parseCsv } from "csv-parse/sync";
import { MAX_FILTER_FILE_BYTES } from "../contract";
import { env } from "../env";
import { invalid } from "../errors";
import type { Resource, ResourceField } from "../resources/types";

/**
 * An export's filter file (SPEC §3): the identifiers of the records to export, either
 * - CSV whose first line names one of the resource's key fields (`filterFileKeys`, case-insensitive) as a
 *   column, delimited by `,`, `;` (Excel in many locales) or a tab; or
 * - one identifier per line, values of the *first* key field (a SKU, an order number): what people paste
 *   from a spreadsheet, rather than our database ids (a first line `id` sends ids).
 * Several columns, none a key field, is CSV with the wrong header: 400, rather than whole lines as
 * identifiers that would silently match nothing. Integer keys are stored canonical (`007` → `7`), repeats
 * once; every problem is an INVALID error under `filter_file`.
 *
 * Memory: the file is read as a stream of values (to check it, then again while inserting), never as an array
 * of lines: 10 MB of newlines once cost +365 MB of RSS, split into lines.
 */

/** Longer than any key we have (a SKU is ≤ 64); keeps a line from becoming a giant index entry. */
export const MAX_IDENTIFIER_LENGTH = 255;
/** Per-line problems reported, at most (then "… and N more"). */
const MAX_LINE_ERRORS = 10;
const DELIMITERS = [",", ";", "\t"] as const;
/** A first line longer than this is no header (and, as an identifier, too long anyway). */
const MAX_HEADER_LENGTH = 64 * 1024;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export interface FilterFile {
  /** As the client sent it (only used, sanitised, in the storage key). */
  name: string;
  content: Uint8Array;
}

export interface ParsedFilterFile {
  /** The resource field the identifiers are values of (exports.filter_key_field). */
  keyField: string;
  mode: "csv" | "lines";
  /** Identifiers in the file: its non-blank values, repeats included (what the cap counts). */
  count: number;
  /** The identifiers in stored form, read again from the file on each call (nothing holds them all). */
  identifiers(): Generator<string>;
}

export interface FilterFileOptions {
  /** Default FILTER_FILE_MAX_IDENTIFIERS. */
  maxIdentifiers?: number;
}

export type FilterFileCheck<T> = { ok: true; value: T } | { ok: false; errors: string[] };

const megabytes = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

/** The checks that need no resource: size, encoding, binary content. Returns the text without its BOM. */
export function decodeFilterFile(content: Uint8Array): FilterFileCheck<string> {
  if (content.byteLength > MAX_FILTER_FILE_BYTES) {
    return {
      ok: false,
      errors: [
        `The filter file is too large (${megabytes(content.byteLength)}); the limit is ${megabytes(MAX_FILTER_FILE_BYTES)}.`,
      ],
    };
  }
  if (content.byteLength === 0) return { ok: false, errors: ["The submitted file is empty."] };
  let text: string;
  try {
    // fatal: invalid UTF-8 is refused, not replaced; a leading BOM is stripped (ignoreBOM: false).
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(content);
  } catch {
    return { ok: false, errors: ["The filter file is not UTF-8 text. Upload a .txt or .csv file in UTF-8."] };
  }
  if (text.includes("\u0000")) {
    return {
      ok: false,
      errors: ["The filter file contains NUL bytes (a binary file?). Upload a .txt or .csv file."],
    };
  }
  return { ok: true, value: text };
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** A value of the file and the line it starts on (undefined: a CSV row too short for the key column). */
interface Cell {
  value: string | undefined;
  line: number;
}

/** The non-empty lines (ended by CRLF, LF or CR), lazily: no array of lines is ever made. */
function* lineCells(text: string): Generator<Cell> {
  const n = text.length;
  let start = 0;
  let line = 1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c !== LF && c !== CR) continue;
    if (i > start) yield { value: text.slice(start, i), line };
    if (c === CR && text.charCodeAt(i + 1) === LF) i++;
    start = i + 1;
    line++;
  }
  if (start < n) yield { value: text.slice(start), line };
}

class CsvProblem extends Error {}

function parseHeader(line: string, delimiter: string): string[] | null {
  if (line.length > MAX_HEADER_LENGTH) return null;
  try {
    const records = parseCsv(line, { delimiter, relax_column_count: true }) as string[][];
    return records[0] ?? null;
  } catch {
    return null;
  }
}

/** Line breaks (CRLF, LF or CR) in text[from, to). */
function countLineBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) n++;
  }
  return n;
}

/**
 * One column of every RFC 4180 record after the header, with the line it starts on (a CsvProblem if
 * malformed). Not csv-parse, which takes seconds on a million records, in a request.
 */
function* csvColumn(text: string, delimiter: string, column: number): Generator<Cell> {
  const delim = delimiter.charCodeAt(0);
  const n = text.length;
  let i = 0;
  let line = 1;
  let headerSeen = false;
  while (i < n) {
    const recordLine = line;
    let col = 0;
    let taken: string | undefined;
    // A record of one unquoted, whitespace-only value is a blank line: skipped, never the header.
    let blank = true;
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        blank = false;
        const parts: string[] = [];
        let start = i + 1;
        for (;;) {
          const q = text.indexOf('"', start);
          if (q === -1) throw new CsvProblem(`a quoted value opened on line ${line} is never closed.`);
          line += countLineBreaks(text, start, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            parts.push(text.slice(start, q + 1));
            start = q + 2;
            continue;
          }
          parts.push(text.slice(start, q));
          i = q + 1;
          break;
        }
        value = parts.join("");
        const c = text.charCodeAt(i);
        if (i < n && c !== delim && c !== LF && c !== CR) {
          throw new CsvProblem(`line ${line}: unexpected character after a closing quote.`);
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === delim || c === LF || c === CR) break;
          j++;
        }
        value = text.slice(i, j);
        if (value.trim() !== "") blank = false;
        i = j;
      }
      if (col === column) taken = value;
      col++;
      if (i < n && text.charCodeAt(i) === delim) {
        blank = false;
        i++;
        continue;
      }
      // End of the record: skip its line break.
      if (i < n) {
        i += text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
        line++;
      }
      break;
    }
    if (blank) continue;
    if (!headerSeen) {
      headerSeen = true;
      continue;
    }
    yield { value: taken, line: recordLine };
  }
}

interface HeaderChoice {
  delimiter: string;
  keyField: string;
  column: number;
}

/** The first line as a CSV header naming a key field, trying each delimiter; null for a bare list. */
function detectHeader(resource: Resource, firstLine: string): HeaderChoice | null | "no-key-column" {
  let several = false;
  for (const delimiter of DELIMITERS) {
    const header = parseHeader(firstLine, delimiter);
    if (!header) continue;
    const names = header.map((h) => h.trim().toLowerCase());
    if (names.length > 1) several = true;
    // The resource's order decides when a header names several keys (sku before id).
    for (const key of resource.filterFileKeys) {
      const column = names.indexOf(key.toLowerCase());
      if (column !== -1) return { delimiter, keyField: key, column };
    }
  }
  return several ? "no-key-column" : null;
}

function keyFieldOf(resource: Resource, name: string): ResourceField {
  const field = resource.fields.find((f) => f.name === name);
  if (!field) throw new Error(`resource ${resource.key}: unknown filter key field ${name}`);
  if (field.type !== "integer" && field.type !== "text") {
    throw new Error(`resource ${resource.key}: filter key field ${name} must be integer or text`);
  }
  return field;
}

/** One identifier → its stored form, or its problem. Integers fit 32 bits (the engine casts `::int`). */
function normalise(field: ResourceField, value: string): { value: string } | { error: string } {
  if (value.length > MAX_IDENTIFIER_LENGTH) {
    return { error: `the value is longer than ${MAX_IDENTIFIER_LENGTH} characters.` };
  }
  if (field.type === "integer") {
    if (!/^[+-]?\d+$/.test(value)) {
      return { error: `"${value.slice(0, 50)}" is not a valid ${field.name} (a whole number).` };
    }
    const n = Number(value);
    if (n < INT32_MIN || n > INT32_MAX) {
      return { error: `${value.slice(0, 50)} is out of range for ${field.name}.` };
    }
    return { value: String(n === 0 ? 0 : n) };
  }
  return { value };
}

/** A filter file for a resource: every problem found (up to a limit), or what identifiers() will read. */
export function checkFilterFile(
  resource: Resource,
  content: Uint8Array,
  options: FilterFileOptions = {},
): FilterFileCheck<ParsedFilterFile> {
  const maxIdentifiers = options.maxIdentifiers ?? env().FILTER_FILE_MAX_IDENTIFIERS;
  const decoded = decodeFilterFile(content);
  if (!decoded.ok) return decoded;
  const text = decoded.value;
  let firstLine: string | undefined;
  for (const cell of lineCells(text)) {
    if (cell.value?.trim()) {
      firstLine = cell.value;
      break;
    }
  }
  if (firstLine === undefined) return { ok: false, errors: ["The filter file contains no identifiers."] };
  const header = detectHeader(resource, firstLine);
  if (header === "no-key-column") {
    const names = resource.filterFileKeys.join(" or ");
    return {
      ok: false,
      errors: [
        `The filter file has no column named ${names}. Name the key column in the first line, or upload one identifier per line.`,
      ],
    };
  }

  const keyField = keyFieldOf(resource, header ? header.keyField : (resource.filterFileKeys[0] ?? ""));
  const cells = () => (header ? csvColumn(text, header.delimiter, header.column) : lineCells(text));
  const errors: string[] = [];
  let badLines = 0;
  let count = 0;
  try {
    for (const cell of cells()) {
      const value = (cell.value ?? "").trim();
      if (value === "") continue;
      const result = normalise(keyField, value);
      if ("error" in result) {
        badLines++;
        if (errors.length < MAX_LINE_ERRORS) errors.push(`Line ${cell.line}: ${result.error}`);
        continue;
      }
      if (++count > maxIdentifiers) break;
    }
  } catch (err) {
    if (!(err instanceof CsvProblem)) throw err;
    return { ok: false, errors: [`The filter file is not valid CSV: ${err.message}`] };
  }

  if (badLines > errors.length) errors.push(`… and ${badLines - errors.length} more lines with errors.`);
  if (count > maxIdentifiers) {
    errors.unshift(
      `The filter file has more than ${maxIdentifiers.toLocaleString("en-US")} identifiers; split it into several exports.`,
    );
  }
  if (errors.length > 0) return { ok: false, errors };
  if (count === 0) return { ok: false, errors: ["The filter file contains no identifiers."] };
  return {
    ok: true,
    value: {
      keyField: keyField.name,
      mode: header ? "csv" : "lines",
      count,
      *identifiers() {
        for (const cell of cells()) {
          const value = (cell.value ?? "").trim();
          if (value === "") continue;
          const result = normalise(keyField, value);
          if ("value" in result) yield result.value;
        }
      },
    },
  };
}

/** As checkFilterFile, throwing the domain's INVALID error `{"filter_file": [...]}`. */
export function parseFilterFile(
  resource: Resource,
  content: Uint8Array,
  options: FilterFileOptions = {},
): ParsedFilterFile {
  const result = checkFilterFile(resource, content, options);
  if (!result.ok) throw invalid({ filter_file: result.errors });
  return result.value;
}

/** A file name safe as the last segment of a storage key: [A-Za-z0-9._-], at most 100 characters. */
export function safeFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? "";
  let safe = base
    // Latin letters keep their base letter (Ürün → Urun): decompose, drop the combining marks.
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/_+/g, "_")
    // No hidden files, no "." or ".." segments.
    .replace(/^[._-]+/, "");
  if (safe.length > 100) {
    const dot = safe.lastIndexOf(".");
    const ext = dot > 0 && safe.length - dot <= 10 ? safe.slice(dot) : "";
    safe = safe.slice(0, 100 - ext.length) + ext;
  }
  return safe || "filter.txt";
}
