import { describe, expect, it } from "vitest";
import { type Piece, type PlannedPart, pieceSize, planParts } from "../src/storage/compose-plan";
import { seededRandom } from "./engine/helpers";

/** The bytes a plan stands for, as (source, offset) pairs: given bytes by value, stored ones by key and offset. */
function expand(pieces: readonly Piece[]): string[] {
  const out: string[] = [];
  for (const p of pieces) {
    if ("bytes" in p) for (const b of p.bytes) out.push(`=${b}`);
    else for (let i = p.start; i < p.end; i++) out.push(`${p.key}@${i}`);
  }
  return out;
}
const partPieces = (part: PlannedPart): Piece[] =>
  part.kind === "copy" ? [{ key: part.key, start: part.start, end: part.end }] : part.pieces;

describe("a composition's multipart plan", () => {
  it("covers every byte in order, parts but the last ≥ the minimum, sent parts ≤ partSize, copies only of long ranges", () => {
    const random = seededRandom(7);
    for (let run = 0; run < 500; run++) {
      const minPart = 5 + random(20);
      const partSize = minPart + random(30);
      const canCopy = random(2) === 1;
      const pieces: Piece[] = Array.from({ length: random(12) }, (_, i) =>
        random(3) === 0
          ? { bytes: Buffer.alloc(random(minPart * 2), i) }
          : { key: `k${i}`, start: random(5), end: 5 + random(minPart * 4) },
      );
      const parts = planParts(pieces, { minPart, partSize, canCopy, maxCopy: minPart * 2 + random(10) });
      expect(expand(parts.flatMap(partPieces))).toEqual(expand(pieces));
      parts.forEach((part, i) => {
        const size = part.kind === "copy" ? part.end - part.start : part.size;
        expect(size).toBeGreaterThan(0);
        if (i < parts.length - 1) expect(size).toBeGreaterThanOrEqual(minPart);
        if (part.kind === "send") {
          expect(size).toBeLessThanOrEqual(partSize);
          expect(part.pieces.reduce((n, p) => n + pieceSize(p), 0)).toBe(size);
        } else {
          expect(canCopy).toBe(true);
          expect(size).toBeGreaterThanOrEqual(minPart);
        }
      });
    }
  });

  it("copies the long ranges server-side and sends only what is around them", () => {
    const MiB = 1024 * 1024;
    const parts = planParts(
      [
        { bytes: Buffer.alloc(100) },
        { key: "p1", start: 0, end: 40 * MiB },
        { key: "p2", start: 0, end: 1 * MiB },
        { key: "p3", start: 0, end: 30 * MiB },
        { bytes: Buffer.alloc(3) },
      ],
      { minPart: 5 * MiB, partSize: 8 * MiB, canCopy: true },
    );
    expect(parts.map((p) => (p.kind === "copy" ? `copy ${p.key}` : `send ${p.size}`))).toEqual([
      `send ${5 * MiB}`,
      "copy p1",
      `send ${5 * MiB}`,
      "copy p3",
      "send 3",
    ]);
  });
});
