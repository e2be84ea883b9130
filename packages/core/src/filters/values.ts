// Parsers for filter values from query strings: the value, or a ValueError in DRF's wording.
export class ValueError extends Error {}

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

export function parseInteger(text: string): number {
  const t = text.trim();
  if (!/^[-+]?\d{1,10}$/.test(t)) throw new ValueError("Enter a whole number.");
  const n = Number(t);
  if (n < INT32_MIN || n > INT32_MAX) throw new ValueError("Enter a whole number.");
  return n;
}

export function parseDecimal(text: string): string {
  const t = text.trim();
  if (!/^[-+]?\d{1,13}(\.\d{1,6})?$/.test(t)) throw new ValueError("Enter a number.");
  return t.startsWith("+") ? t.slice(1) : t;
}

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

export function parseBoolean(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  throw new ValueError("Select a valid choice. Use true or false.");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

export function parseUuid(text: string): string {
  const t = text.trim();
  if (!isUuid(t)) throw new ValueError("Enter a valid UUID.");
  return t.toLowerCase();
}

/** DRF's CharField message; PostgreSQL cannot store or compare a NUL character in text. */
export function parseText(text: string): string {
  if (text.includes("\u0000")) throw new ValueError("Null characters are not allowed.");
  return text;
}

/** Like Date.UTC, but years 0–99 stay as written (Date.UTC reads them as 1900–1999). */
function utcTime(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  return new Date(Date.UTC(2000, 0, 1, h, mi, s, ms)).setUTCFullYear(y, mo - 1, d);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date `YYYY-MM-DD`, returned as UTC midnight of that day. */
export function parseDate(text: string): Date {
  const m = DATE.exec(text.trim());
  if (!m) throw new ValueError("Enter a valid date.");
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(utcTime(y, mo, d));
  if (y < 1 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    throw new ValueError("Enter a valid date.");
  }
  return date;
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** ISO 8601; no zone is UTC, a bare date its midnight; a `+` offset that arrived as a space is accepted. */
export function parseDateTime(text: string): Date {
  let t = text.trim();
  t = t.replace(/(\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$/, "$1+$2");
  const m = DATETIME.exec(t);
  if (!m) throw new ValueError("Enter a valid date/time.");
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [h, mi, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const ms = Math.floor(Number((m[7] ?? "0").padEnd(6, "0")) / 1000);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || y < 1) {
    throw new ValueError("Enter a valid date/time.");
  }
  const local = utcTime(y, mo, d, h, mi, s, ms);
  const check = new Date(utcTime(y, mo, d));
  if (check.getUTCDate() !== d) throw new ValueError("Enter a valid date/time.");
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || "0");
    if (oh > 23 || om > 59) throw new ValueError("Enter a valid date/time.");
    offsetMinutes = sign * (oh * 60 + om);
  }
  const result = new Date(local - offsetMinutes * 60_000);
  // An offset can push year 1 or 9999 into year 0 or 10000, which PostgreSQL cannot read back.
  const year = result.getUTCFullYear();
  if (year < 1 || year > 9999) throw new ValueError("Enter a valid date/time.");
  return result;
}
