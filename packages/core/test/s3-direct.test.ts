import type { Readable } from "node:stream";
import { describe, expect, inject, it } from "vitest";
import { type DirectUpload, decodeDirectPage, isDirectEntry, type PendingPage } from "../src/storage";
import { testS3Storage } from "../src/testing";

const bytes = async (stream: Readable) => Buffer.concat(await stream.toArray());
const MiB = 1024 * 1024;

/** Part numbers as the export row hands them out: fresh, ascending. */
function counter() {
  let next = 1;
  return async (k: number) => {
    const first = next;
    next += k;
    return first;
  };
}

/** Writes `data` to the page in pieces of 64 KiB (as a COPY's encoder does) and commits it. */
async function writePage(page: PendingPage, data: Buffer) {
  for (let at = 0; at < data.length; at += 64 * 1024) {
    if (!page.stream.write(data.subarray(at, at + 64 * 1024))) {
      await new Promise((r) => page.stream.once("drain", r));
    }
  }
  await new Promise<void>((resolve, reject) =>
    page.stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  return page.commit();
}

function filled(size: number, seed: number) {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * seed) % 251;
  return out;
}

describe("direct uploads (S3's 5 MiB minimum part)", () => {
  it("a page goes out in parts of 5 to 13 MiB, ascending; one under 5 MiB is a part object without the head", async () => {
    const storage = await testS3Storage(inject("s3Endpoint"));
    const key = "results/e/a/file.csv";
    const upload: DirectUpload = { key, uploadId: await storage.direct.begin(key) };
    const reserve = counter();
    const head = Buffer.from("\uFEFFid,name\r\n");
    const first = filled(30 * MiB + 17, 7);
    const second = filled(6 * MiB, 11);
    const small = filled(3 * MiB, 13);

    const a = storage.direct.createPage("parts/e/000001-a.part", { upload, reserve, head });
    const pageA = await writePage(a, first);
    expect(a.mode).toBe("direct");
    expect(pageA.size).toBe(first.length);
    const partsA = decodeDirectPage(pageA.entry);
    expect(partsA.head).toBe(true);
    const b = storage.direct.createPage("parts/e/000002-b.part", { upload, reserve, head: null });
    const pageB = await writePage(b, second);
    const c = storage.direct.createPage("parts/e/000003-c.part", { upload, reserve, head: null });
    const pageC = await writePage(c, small);
    expect(c.mode).toBe("object");
    expect(isDirectEntry(pageC.entry)).toBe(false);
    expect((await bytes(storage.read(pageC.entry))).equals(small)).toBe(true);

    const parts = [...partsA.parts, ...decodeDirectPage(pageB.entry).parts];
    expect(parts.length).toBe(5); // 8 + 8 + 8 + (6 MiB + head + 17) | 6
    for (const part of parts) {
      expect(part.size).toBeGreaterThanOrEqual(5 * MiB);
      expect(part.size).toBeLessThanOrEqual(13 * MiB);
    }
    expect(parts.map((p) => p.n)).toEqual([...parts.map((p) => p.n)].sort((x, y) => x - y));

    const expected = head.length + first.length + second.length + small.length;
    const size = await storage.direct.complete(upload, parts, [{ key: pageC.entry }], reserve, expected);
    expect(size).toBe(expected);
    const file = await bytes(storage.read(key));
    expect(file.equals(Buffer.concat([head, first, second, small]))).toBe(true);
    // Done again (a kill before the export was marked completed): the upload is gone, the result is kept.
    expect(await storage.direct.complete(upload, parts, [{ key: pageC.entry }], reserve, expected)).toBe(
      expected,
    );
  });

  it("refuses to complete what S3 would refuse or what does not add up (s3rver checks neither)", async () => {
    const storage = await testS3Storage(inject("s3Endpoint"));
    const key = "results/e/b/file.csv";
    const upload: DirectUpload = { key, uploadId: await storage.direct.begin(key) };
    const reserve = counter();
    const page = await writePage(
      storage.direct.createPage("parts/e/1.part", { upload, reserve, head: null }),
      filled(6 * MiB, 3),
    );
    const [part] = decodeDirectPage(page.entry).parts;
    if (!part) throw new Error("no part");
    const small = { ...part, n: part.n + 1, size: MiB };
    await expect(
      storage.direct.complete(upload, [small, { ...part, n: part.n + 2 }], [], reserve, 7 * MiB),
    ).rejects.toThrow(/under the/);
    await expect(storage.direct.complete(upload, [part, { ...part }], [], reserve, 12 * MiB)).rejects.toThrow(
      /out of order/,
    );
    await expect(storage.direct.complete(upload, [part], [], reserve, 6 * MiB + 1)).rejects.toThrow(
      /expected/,
    );
  });
});
