import type { ValueType } from "../../contract";
import type { ResourceField } from "../../resources/types";
import { ascii } from "./bytes";

/** What JSON's row and line encoders share: constant bytes, value kinds, keys. */

export const ROW_END = ",\n";
export const ROW_END_BYTES = ascii(`}${ROW_END}`);
export const NULL = ascii("null");
export const TRUE = ascii("true");
export const FALSE = ascii("false");

/** Value kinds by type, as numbers (a cheaper switch per value). */
export const TEXT = 0;
export const NUMBER = 1;
export const BOOLEAN = 2;
export const QUOTED = 3;
export const JSON_TEXT = 4;
export const DATETIME = 5;
export const KIND: Record<ValueType, number> = {
  text: TEXT,
  integer: NUMBER,
  decimal: QUOTED,
  boolean: BOOLEAN,
  datetime: DATETIME,
  json: JSON_TEXT,
};

/** 1 for the bytes a JSON string holds as they are (not a control character, `"` or `\\`). */
export const PLAIN = new Uint8Array(256).map((_, b) => (b >= 0x20 && b !== 34 && b !== 92 ? 1 : 0));

/** Each field's key as it opens its value (`{"id":`, `,"sku":`), and a row's room besides its escaped bytes. */
export function rowKeys(fields: readonly ResourceField[]) {
  const keys = fields.map((f, i) => ascii(`${i === 0 ? "{" : ","}${JSON.stringify(f.name)}:`));
  return { keys, fixed: keys.reduce((n, k) => n + k.length + 8, 8) };
}

/** A byte store per key byte: `buf[p+0]=123;buf[p+1]=34;…;p+=n;` (numbers only). */
export function storeBytes(bytes: Uint8Array): string {
  return `${Array.from(bytes, (b, j) => `buf[p+${j}]=${b};`).join("")}p+=${bytes.length};`;
}
