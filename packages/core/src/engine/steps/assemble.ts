import { keys, type Segment } from "../../storage";
import { writerOf } from "../formats";
import type { PartFile } from "../formats/types";
import { exportScope } from "../scope";
import { assembleDirect } from "./assemble-direct";
import { markCompleted } from "./completed";
import { directUploadOf } from "./direct";
import { resultKeyOf } from "./result-name";
import { type Claim, dropIfCancelled, type StepDeps, type StepOutcome } from "./shared";

/**
 * Last step: the parts become the file where they are (the format's layout, composed by storage without a
 * copy), then a guarded update marks it completed. A cancel that wins the race leaves no result behind.
 */
export async function assembleExport(deps: StepDeps, claim: Claim): Promise<StepOutcome> {
  const { row, owner, signal } = claim;
  const upload = directUploadOf(row);
  if (upload) {
    const outcome = await assembleDirect(deps, claim, upload);
    if (outcome) return outcome;
  }
  const scope = exportScope(row);
  const writer = writerOf(row);
  const { attempt, key: resultKey } = resultKeyOf(row);
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
  return markCompleted(deps, row, owner, resultKey, () =>
    deps.storage.removePrefix(keys.resultAttempt(row.id, attempt)),
  );
}
