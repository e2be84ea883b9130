import { type DirectUpload, decodeDirectPage, isDirectEntry } from "../../storage";
import { markCompleted } from "./completed";
import { partNumbers } from "./direct";
import { type Claim, dropIfCancelled, type StepDeps, type StepOutcome } from "./shared";

/**
 * The assembly in direct mode (direct.ts): the result's upload completed with the recorded pages' parts in
 * order, then the pages written as part objects sent as further parts (numbers reserved now, above all the
 * pages'). Parts of pages never recorded (a lost or killed writer) are not listed, so S3 discards them. Redone
 * after the upload completed (a kill before the export was marked): the result is there with its size, and is
 * kept. Null when no page was written directly: the upload is aborted and the parts composed as usual.
 */
export async function assembleDirect(
  deps: StepDeps,
  { row, owner, signal }: Claim,
  upload: DirectUpload,
): Promise<StepOutcome | null> {
  const direct = deps.storage.direct;
  if (!direct)
    throw new Error(
      `the export's result is a direct upload, which the storage ${deps.storage.location} cannot complete`,
    );
  const entries = row.uploadedParts;
  const objectsFrom = entries.findIndex((entry) => !isDirectEntry(entry));
  const split = objectsFrom < 0 ? entries.length : objectsFrom;
  if (split === 0) {
    await direct.abort(upload);
    return null;
  }
  if (entries.slice(split).some(isDirectEntry)) {
    throw new Error("a page written directly follows one written as a part object");
  }
  const pages = entries.slice(0, split).map(decodeDirectPage);
  if (!pages[0]?.head) throw new Error("the first page written directly lacks the file's head");
  const parts = pages.flatMap((page) => page.parts);
  const tail = entries.slice(split).map((key) => ({ key }));
  let expected = parts.reduce((n, part) => n + part.size, 0);
  for (const { key } of tail) {
    const size = await deps.storage.size(key);
    if (size === null) throw new Error(`${key} is missing`);
    expected += size;
  }
  try {
    if (signal.aborted) throw new Error("export was taken away while assembling");
    await direct.complete(upload, parts, tail, partNumbers(deps, row, owner), expected);
  } catch (err) {
    if (signal.aborted) {
      await dropIfCancelled(deps, row.id);
      return "lost";
    }
    throw err;
  }
  // Lost now: the result stays for whoever holds the export (its assembly finds it), unless a cancel won.
  return markCompleted(deps, row, owner, upload.key, async () => {});
}
