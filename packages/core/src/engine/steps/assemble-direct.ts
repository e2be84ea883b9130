import { Readable } from "node:stream";
import {
  type DirectPage,
  type DirectTail,
  type DirectUpload,
  decodeDirectPage,
  isDirectEntry,
  type Storage,
} from "../../storage";
import { writerOf } from "../formats";
import type { FileSegment, PartFile } from "../formats/types";
import { exportScope } from "../scope";
import { markCompleted } from "./completed";
import { partNumbers } from "./direct";
import { type Claim, dropIfCancelled, type StepDeps, type StepOutcome } from "./shared";

/**
 * The assembly in direct mode (direct.ts): the result's upload completed with the recorded pages' parts in
 * order, then what the file has after them (the last page's held-back bytes where part objects follow, the pages
 * written as part objects, the format's end) sent as further parts (numbers reserved now, above all the pages').
 * What comes after is the format's own `layout()`, run over the pages as it would be over part objects (a direct
 * page's bytes: what it uploaded and what it held back; only the latter can be read), and checked to start with
 * exactly what was uploaded: a layout that does not fit fails the step rather than give other bytes than the local
 * backend's. Parts of pages never recorded (a lost or killed writer) are not listed, so S3 discards them. Redone
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
  const writer = writerOf(row);
  // XLSX: the first page is a part object, sent with the bytes before it as part 1 (direct.ts).
  const from = writer.directAfterFirst ? 1 : 0;
  if (from > 0 && entries[0] !== undefined && isDirectEntry(entries[0])) {
    throw new Error("the export's first page was written directly where it must be a part object");
  }
  const objectsFrom = entries.findIndex((entry, i) => i >= from && !isDirectEntry(entry));
  const split = objectsFrom < 0 ? entries.length : objectsFrom;
  if (split <= from) {
    await direct.abort(upload);
    return null;
  }
  if (entries.slice(split).some(isDirectEntry)) {
    throw new Error("a page written directly follows one written as a part object");
  }
  const pages: (DirectPage | undefined)[] = entries.map((entry, i) =>
    i >= from && i < split ? decodeDirectPage(entry) : undefined,
  );
  if (from === 0 && !pages[0]?.head) throw new Error("the first page written directly lacks the file's head");
  const parts = pages.flatMap((page) => page?.parts ?? []);
  try {
    const { first, tail } = await afterUpload(deps, row, pages, from);
    const expected =
      parts.reduce((n, part) => n + part.size, 0) +
      [...(first ?? []), ...tail].reduce((n, a) => n + atomSize(a), 0);
    if (signal.aborted) throw new Error("export was taken away while assembling");
    await direct.complete(upload, parts, tail, partNumbers(deps, row, owner), expected, first ?? undefined);
  } catch (err) {
    // Taken away meanwhile (the layout's reads included): a cancel that won leaves nothing behind.
    if (signal.aborted) {
      await dropIfCancelled(deps, row.id);
      return "lost";
    }
    throw err;
  }
  // Lost now: the result stays for whoever holds the export (its assembly finds it), unless a cancel won.
  return markCompleted(deps, row, owner, upload.key, async () => {});
}

/** A piece of the file: bytes, or bytes [start, end) of page `part` (or of its part object `key`). */
type Atom = { bytes: Buffer } | { part: number; start: number; end: number };
type Rest = DirectTail & ({ bytes: Buffer } | { key: string; start: number; end: number });

const atomSize = (a: Atom | Rest) => ("bytes" in a ? a.bytes.length : a.end - a.start);

/** A page written directly as the layout sees it: `uploaded` bytes of its own, then its held-back bytes. */
function directFile(uploaded: number, held: Buffer): PartFile {
  return {
    size: async () => uploaded + held.length,
    read: (range) => {
      const start = range?.start ?? 0;
      const end = range?.end ?? uploaded + held.length;
      if (start < uploaded || end > uploaded + held.length) {
        throw new Error("the layout reads bytes of a page that are in the result's upload");
      }
      return Readable.from([held.subarray(start - uploaded, end - uploaded)]);
    },
  };
}

/**
 * What the file holds besides the direct pages' parts: the format's layout over all pages, less what the parts
 * hold (the file's head, each page's own bytes, the bytes each carried from the page before). `from` > 0: the
 * pages before are part objects, and what the layout has before the first direct page is `first` (part 1).
 */
async function afterUpload(
  deps: StepDeps,
  row: Claim["row"],
  pages: (DirectPage | undefined)[],
  from: number,
): Promise<{ first: Rest[] | null; tail: Rest[] }> {
  const writer = writerOf(row);
  const { fields } = exportScope(row);
  const head = from === 0 ? writer.directHead?.(fields, row.language) : Buffer.alloc(0);
  if (!head) throw new Error("the export's format has no direct mode");
  const entries = row.uploadedParts;
  // A page's own uploaded bytes: its parts' less the head or the bytes it carried.
  const uploaded = pages.map((page, i) =>
    page ? page.parts.reduce((n, p) => n + p.size, 0) - (i === 0 ? head.length : 0) - page.carried.length : 0,
  );
  const sizes = new Map<number, number>();
  const layout = await writer.layout({
    fields,
    language: row.language,
    rows: row.collectedCount,
    parts: async function* () {
      for (const [i, key] of entries.entries()) {
        const page = pages[i];
        yield page ? directFile(uploaded[i] ?? 0, page.held) : objectFile(deps.storage, key, sizes, i);
      }
    },
  });
  const sizeOf = async (part: number) => {
    const page = pages[part];
    if (page) return (uploaded[part] ?? 0) + page.held.length;
    const known = sizes.get(part);
    if (known !== undefined) return known;
    const size = await deps.storage.size(entries[part] ?? "");
    if (size === null) throw new Error(`${entries[part]} is missing`);
    return size;
  };
  let atoms = await atomsOf(layout, sizeOf);
  const rest = (atom: Atom): Rest => {
    if ("bytes" in atom) return atom;
    const page = pages[atom.part];
    const u = uploaded[atom.part] ?? 0;
    if (!page) return { key: entries[atom.part] ?? "", start: atom.start, end: atom.end };
    if (atom.start < u) throw new Error("the file's layout does not fit the pages written directly");
    return { bytes: page.held.subarray(atom.start - u, atom.end - u) };
  };
  let first: Rest[] | null = null;
  if (from > 0) {
    // Part 1: all the layout has before the first direct page (only bytes and the part objects before it).
    const at = atoms.findIndex((a) => !("bytes" in a) && a.part >= from);
    if (at < 0 || atoms.slice(0, at).some((a) => !("bytes" in a) && pages[a.part])) {
      throw new Error("the file's layout does not fit the pages written directly");
    }
    first = atoms.slice(0, at).map(rest);
    atoms = atoms.slice(at);
  }
  // What the upload holds: the head, each page's bytes, and the bytes each page held back where the next page's
  // first part carried them (JSON's separator; XLSX's trailers are carried by none).
  const sent: Atom[] = [{ bytes: head }];
  pages.forEach((page, i) => {
    if (!page) return;
    sent.push({ part: i, start: 0, end: uploaded[i] ?? 0 });
    const next = pages[i + 1];
    if (!next || next.carried.length === 0) return;
    if (!next.carried.equals(page.held)) {
      throw new Error("a page written directly does not start with the bytes the page before held back");
    }
    sent.push({ part: i, start: uploaded[i] ?? 0, end: (uploaded[i] ?? 0) + page.held.length });
  });
  return { first, tail: afterPrefix(atoms, sent).map(rest) };
}

function objectFile(storage: Storage, key: string, sizes: Map<number, number>, i: number): PartFile {
  return {
    read: (range) => storage.read(key, range),
    size: async () => {
      const size = await storage.size(key);
      if (size !== null) sizes.set(i, size);
      return size;
    },
  };
}

/** The layout's segments as atoms with their ranges resolved; empty ones left out. */
async function atomsOf(layout: FileSegment[], sizeOf: (part: number) => Promise<number>): Promise<Atom[]> {
  const atoms: Atom[] = [];
  for (const s of layout) {
    const atom: Atom =
      "bytes" in s ? s : { part: s.part, start: s.start ?? 0, end: s.end ?? (await sizeOf(s.part)) };
    if (atomSize(atom) > 0) atoms.push(atom);
  }
  return atoms;
}

/** `atoms` less the prefix `sent`, which they must start with (same bytes, same ranges of the same pages). */
function afterPrefix(atoms: readonly Atom[], sent: readonly Atom[]): Atom[] {
  const rest = [...atoms];
  const misfit = () => new Error("the file's layout does not fit the pages written directly");
  for (const want of sent) {
    let at = 0;
    const length = atomSize(want);
    while (at < length) {
      const next = rest.shift();
      if (!next) throw misfit();
      const n = Math.min(atomSize(next), length - at);
      if ("bytes" in want) {
        if (!("bytes" in next) || !next.bytes.subarray(0, n).equals(want.bytes.subarray(at, at + n))) {
          throw misfit();
        }
        if (n < next.bytes.length) rest.unshift({ bytes: next.bytes.subarray(n) });
      } else {
        if ("bytes" in next || next.part !== want.part || next.start !== want.start + at) throw misfit();
        if (n < atomSize(next)) rest.unshift({ part: next.part, start: next.start + n, end: next.end });
      }
      at += n;
    }
  }
  return rest;
}
