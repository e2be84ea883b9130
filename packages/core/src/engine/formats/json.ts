import type { Writable } from "node:stream";
import { ascii, type ByteWriter, fieldText, isFormulaByte } from "./bytes";
import { compactJson } from "./cells";
import { end, write } from "./io";
import { encodePageWith, type FormatWriter, type PartFile } from "./types";

const ROW_END = ",\n";
const ROW_END_BYTES = ascii(`}${ROW_END}`);
const NULL = ascii("null");
const TRUE = ascii("true");
const FALSE = ascii("false");
const HEX = "0123456789abcdef";

/**
 * A text field as a JSON string, byte by byte, escaped as JSON.stringify escapes it (quote, backslash, control
 * characters; \b \t \n \f \r short forms, else \u00XX). UTF-8 passes through. `doubled`: the field was quoted
 * by COPY, so each quote inside is doubled. `neutral`: prefix the apostrophe of formula neutralisation.
 */
function jsonString(src: Buffer, s: number, e: number, doubled: boolean, neutral: boolean, out: ByteWriter) {
  out.ensure((e - s) * 6 + 3);
  const buf = out.buf;
  let p = out.pos;
  buf[p++] = 34;
  if (neutral) buf[p++] = 39;
  for (let k = s; k < e; k++) {
    const b = src[k] as number;
    if (b >= 0x20 && b !== 34 && b !== 92) {
      buf[p++] = b;
    } else if (b === 34) {
      if (doubled) k++;
      buf[p++] = 92;
      buf[p++] = 34;
    } else if (b === 92) {
      buf[p++] = 92;
      buf[p++] = 92;
    } else {
      buf[p++] = 92;
      const short = b === 8 ? 98 : b === 9 ? 116 : b === 10 ? 110 : b === 12 ? 102 : b === 13 ? 114 : 0;
      if (short) buf[p++] = short;
      else {
        buf[p++] = 117;
        buf[p++] = 48;
        buf[p++] = 48;
        buf[p++] = HEX.charCodeAt(b >> 4);
        buf[p++] = HEX.charCodeAt(b & 15);
      }
    }
  }
  buf[p++] = 34;
  out.pos = p;
}

/**
 * Copies the parts in order behind an opening "[\n", holding back the last `ROW_END` of the whole stream (the
 * last row's separator) so the array ends without a trailing comma. Returns whether any row was copied.
 */
async function copyRows(parts: AsyncIterable<PartFile>, out: Writable): Promise<boolean> {
  let held = Buffer.alloc(0);
  let started = false;
  for await (const part of parts) {
    for await (const chunk of part.read()) {
      const data = chunk as Buffer;
      if (data.length === 0) continue;
      if (!started) {
        await write(out, "[\n");
        started = true;
      }
      if (data.length >= ROW_END.length) {
        if (held.length > 0) await write(out, held);
        await write(out, data.subarray(0, data.length - ROW_END.length));
        held = Buffer.from(data.subarray(data.length - ROW_END.length));
      } else {
        const joined = Buffer.concat([held, data]);
        const cut = Math.max(0, joined.length - ROW_END.length);
        if (cut > 0) await write(out, joined.subarray(0, cut));
        held = Buffer.from(joined.subarray(cut));
      }
    }
  }
  if (!started) return false;
  if (held.toString("latin1") !== ROW_END) throw new Error("a JSON part does not end with a row");
  return true;
}

/**
 * One JSON array of objects keyed by field name, as the API shows the records (text neutralised). Each row
 * in a part is its object followed by `,\n`; the assembly drops the last separator.
 */
export const jsonWriter: FormatWriter = {
  format: "json",
  extension: "json",
  contentType: "application/json; charset=utf-8",
  booleans: "words",
  datetime: "iso",
  rowEncoder(fields) {
    const types = fields.map((f) => f.type);
    const keys = fields.map((f, i) => ascii(`${i === 0 ? "{" : ","}${JSON.stringify(f.name)}:`));
    const count = types.length;
    return (row, out) => {
      const { src, start, end, quoted } = row;
      if (count === 0) out.byte(123);
      for (let i = 0; i < count; i++) {
        out.ascii(keys[i] as Uint8Array);
        const s = start[i] as number;
        const e = end[i] as number;
        if (quoted[i] === 0 && s === e) {
          out.ascii(NULL);
          continue;
        }
        switch (types[i]) {
          case "integer":
            out.range(src, s, e);
            break;
          case "boolean":
            out.ascii(src[s] === 116 ? TRUE : FALSE);
            break;
          case "text":
            jsonString(src, s, e, quoted[i] === 1, isFormulaByte(src[s]), out);
            break;
          case "json":
            out.string(compactJson(fieldText(row, i)));
            break;
          default:
            // Decimals as strings (as the API shows them), ISO date-times: digits, signs, letters.
            out.byte(34);
            out.range(src, s, e);
            out.byte(34);
        }
      }
      out.ascii(ROW_END_BYTES);
    };
  },
  encodePage(fields, rows, firstRow) {
    return encodePageWith(jsonWriter, fields, rows, firstRow);
  },
  async assemble(out, { parts }) {
    const any = await copyRows(parts(), out);
    await write(out, any ? "\n]\n" : "[]\n");
    await end(out);
  },
};
