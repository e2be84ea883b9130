import { randomBytes } from "node:crypto";
import type { ExportRow } from "../../db/schema";
import { keys } from "../../storage";
import { writerOf } from "../formats";
import { exportScope } from "../scope";

function resultFilename(row: ExportRow, resourceKey: string, extension: string) {
  const stamp = (row.startedAt ?? row.createdDate)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace("T", "-")
    .slice(0, 15);
  return `${resourceKey}-export-${stamp}-${row.id.slice(0, 8)}.${extension}`;
}

/** A result's key: a folder of its own per attempt (`attempt`), so a lost worker removes only its own. */
export function resultKeyOf(row: ExportRow) {
  const attempt = randomBytes(4).toString("hex");
  const filename = resultFilename(row, exportScope(row).resource.key, writerOf(row).extension);
  return { attempt, key: keys.result(row.id, attempt, filename) };
}
