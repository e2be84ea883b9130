import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { type ExportRow, exports } from "../../db/schema";
import { downloadPath } from "../../exports/urls";
import { keys, type Segment } from "../../storage";
import { writerFor } from "../formats";
import type { PartFile } from "../formats/types";
import { exportScope } from "../scope";
import { type Claim, dropIfCancelled, held, type StepDeps, type StepOutcome } from "./shared";

function resultFilename(row: ExportRow, resourceKey: string, extension: string) {
  const stamp = (row.startedAt ?? row.createdDate)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace("T", "-")
    .slice(0, 15);
  return `${resourceKey}-export-${stamp}-${row.id.slice(0, 8)}.${extension}`;
}

/**
 * Last step: the parts become the file where they are (the format's layout, composed by storage without a
 * copy), then a guarded update marks it completed. A cancel that wins the race leaves no result behind.
 */
export async function assembleExport(deps: StepDeps, { row, owner, signal }: Claim): Promise<StepOutcome> {
  const scope = exportScope(row);
  const writer = writerFor(row.formatType);
  const attempt = randomBytes(4).toString("hex");
  const resultKey = keys.result(row.id, attempt, resultFilename(row, scope.resource.key, writer.extension));
  const stillOurs = () => {
    if (signal.aborted) throw new Error("export was taken away while assembling");
  };
  try {
    const layout = await writer.layout({
      fields: scope.fields,
      language: row.language,
      rows: row.collectedCount,
      parts: async function* (): AsyncGenerator<PartFile> {
        for (const key of row.uploadedParts) {
          stillOurs();
          yield {
            read: (range) => {
              stillOurs();
              return deps.storage.read(key, range);
            },
            size: () => deps.storage.size(key),
          };
        }
      },
    });
    stillOurs();
    const segments: Segment[] = layout.map((s) => {
      if ("bytes" in s) return s;
      const key = row.uploadedParts[s.part];
      if (key === undefined) throw new Error(`no part ${s.part}`);
      return { key, start: s.start, end: s.end };
    });
    await deps.storage.compose(resultKey, segments);
  } catch (err) {
    // Nothing of a failed assembly stays (its folder included); the step is retried or the export lost.
    await deps.storage.removePrefix(keys.resultAttempt(row.id, attempt)).catch(() => {});
    if (signal.aborted) {
      await dropIfCancelled(deps, row.id);
      return "lost";
    }
    throw err;
  }
  const updated = await deps.db
    .update(exports)
    .set({
      status: "completed",
      resultFile: downloadPath(row.id),
      resultKey,
      uploadedParts: [],
      leaseOwner: null,
      leaseExpiresAt: null,
      attempts: 0,
      notBefore: null,
      finishedAt: sql`now()`,
      expiresAt: sql`now() + ${deps.config.retentionMs} * interval '1 millisecond'`,
    })
    .where(held(row, owner))
    .returning({ id: exports.id });
  if (updated.length === 0) {
    await deps.storage.removePrefix(keys.resultAttempt(row.id, attempt));
    await dropIfCancelled(deps, row.id);
    return "lost";
  }
  deps.faults?.("export.completed");
  await deps.storage.removePrefix(keys.partsPrefix(row.id));
  deps.faults?.("parts.deleted");
  return "completed";
}
