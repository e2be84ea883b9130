import { jsonValue } from "./cells";
import { end, write } from "./io";
import { encodeRows, type FormatWriter } from "./types";

/** One JSON array of objects keyed by field name; each part holds its page's objects, comma-joined. */
export const jsonWriter: FormatWriter = {
  format: "json",
  extension: "json",
  contentType: "application/json; charset=utf-8",
  encodePage(fields, rows) {
    const { encoded, failed } = encodeRows(rows, (row) => {
      const obj: Record<string, unknown> = {};
      for (const f of fields) obj[f.name] = jsonValue(f.type, row[f.name]);
      return JSON.stringify(obj);
    });
    return { data: encoded.join(",\n"), written: encoded.length, failed };
  },
  async assemble(out, { parts }) {
    await write(out, "[");
    let first = true;
    for await (const part of parts()) {
      let started = false;
      for await (const chunk of part) {
        if (!started) {
          await write(out, first ? "\n" : ",\n");
          first = false;
          started = true;
        }
        await write(out, chunk as Buffer);
      }
    }
    await write(out, first ? "]\n" : "\n]\n");
    await end(out);
  },
};
