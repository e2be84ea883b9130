import type { ExportFormat } from "../../contract";
import { csvWriter } from "./csv";
import { jsonWriter } from "./json";
import type { FormatWriter } from "./types";
import { xlsxWriter } from "./xlsx/writer";

export type { FormatWriter } from "./types";

const WRITERS: Record<ExportFormat, FormatWriter> = { csv: csvWriter, xls: xlsxWriter, json: jsonWriter };

export function writerFor(format: ExportFormat): FormatWriter {
  return WRITERS[format];
}
