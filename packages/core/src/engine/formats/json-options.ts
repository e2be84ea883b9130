import type { EffectiveExportOptions } from "../../contract";
import { gzipLayout, gzipMember, gzipStages } from "./gzip";
import { JSON_END, JSON_HEAD, JSON_ROW_END, jsonRowEncoder, jsonWriter } from "./json";
import type { FormatWriter, PartFile } from "./types";
import { zonedIsoDatetime, zoneOf, zoneSettings } from "./zoned";

/**
 * JSON with an export's options (issue 17): date-times in the `timezone` with their offset
 * (`2025-01-01T03:01:00.500+03:00`), and gzip (`.json.gz`). The delimiter, decimal separator and header are
 * CSV's: JSON keeps its keys (field names), decimals as strings with a point, as the REST list does.
 */
export function jsonOptionsWriter(options: EffectiveExportOptions): FormatWriter {
  const zone = zoneOf(options);
  const gzip = options.compression === "gzip";
  // The line encoder (json-line.ts) takes only UTC date-time text: in a zone it would hand every row to the row
  // encoder after trying it, so the zone's rows go straight to the row encoder below.
  const { lineEncoder, ...base } = jsonWriter;
  return {
    ...base,
    ...(zone === null && lineEncoder ? { lineEncoder } : {}),
    extension: gzip ? "json.gz" : "json",
    contentType: gzip ? "application/gzip" : jsonWriter.contentType,
    zone,
    ...(zone === null ? {} : { sessionSettings: zoneSettings(zone) }),
    rowEncoder(fields) {
      return zone === null ? jsonRowEncoder(fields) : jsonRowEncoder(fields, { datetime: zonedIsoDatetime });
    },
    ...(gzip
      ? {
          // The row separator that ends each part is a member of its own, which the layout cuts from the last.
          partStages: () => gzipStages(JSON_ROW_END),
          // Direct mode: the separator held back is its member (`gzipStages`).
          directHead: () => gzipMember(JSON_HEAD),
          directSeparator: gzipMember(JSON_ROW_END),
          async layout({ parts }) {
            const files: PartFile[] = [];
            for await (const part of parts()) files.push(part);
            return gzipLayout(
              files,
              Buffer.from(JSON_HEAD),
              Buffer.from(JSON_END),
              JSON_ROW_END,
              Buffer.from("[]\n"),
            );
          },
        }
      : {}),
  };
}
