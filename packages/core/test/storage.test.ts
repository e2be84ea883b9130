import { mkdtempSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { LocalStorage } from "../src/storage";

const root = mkdtempSync(path.join(os.tmpdir(), "exports-storage-"));
const storage = new LocalStorage(root);
afterAll(() => rm(root, { recursive: true, force: true }));

const bytes = async (stream: Readable) => Buffer.concat(await stream.toArray());

async function put(key: string, data: string | Buffer) {
  const file = await storage.create(key);
  file.stream.end(data);
  return file.commit();
}

/** Every file and folder under the root, relative. */
async function tree(): Promise<string[]> {
  return (await readdir(root, { recursive: true })).sort();
}

describe("LocalStorage.create", () => {
  it("writes a large file in order while flushing it to the disk in the background (every 8 MiB)", async () => {
    // 20 MiB in 1 MiB chunks, each chunk's bytes telling its number: flushes happen while chunks still arrive.
    const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1 << 20, i + 1));
    const file = await storage.create("w1/large");
    for (const chunk of chunks) {
      if (!file.stream.write(chunk)) await new Promise((r) => file.stream.once("drain", r));
    }
    expect(await file.commit()).toBe(20 << 20);
    expect((await bytes(storage.read("w1/large"))).equals(Buffer.concat(chunks))).toBe(true);
    expect(await storage.list("w1")).toEqual(["w1/large"]);
  });

  it("aborted, leaves nothing, even with a background flush under way", async () => {
    const file = await storage.create("w2/aborted");
    file.stream.write(Buffer.alloc(9 << 20, 7));
    await file.abort();
    expect(await storage.list("w2")).toEqual([]);
    expect((await tree()).filter((f) => f.startsWith("w2") && f !== "w2")).toEqual([]);
  });
});

describe("LocalStorage.compose", () => {
  it("is the concatenation of its segments, read whole or by any range, and keeps them when their keys go", async () => {
    const a = Buffer.from("alpha-0123456789");
    const b = Buffer.alloc(3 << 20, "b"); // larger than a read chunk
    b.write("head", 0);
    b.write("tail", b.length - 4);
    await put("c1/parts/a", a);
    await put("c1/parts/b", b);
    const size = await storage.compose("c1/result/file.csv", [
      { bytes: Buffer.from("HEAD\n") },
      { key: "c1/parts/a" },
      { bytes: Buffer.alloc(0) },
      { key: "c1/parts/b", start: 2, end: b.length - 1 },
      { key: "c1/parts/a", end: 5 },
      { bytes: Buffer.from("\nEND") },
    ]);
    const expected = Buffer.concat([
      Buffer.from("HEAD\n"),
      a,
      b.subarray(2, b.length - 1),
      a.subarray(0, 5),
      Buffer.from("\nEND"),
    ]);
    expect(size).toBe(expected.length);
    expect(await storage.size("c1/result/file.csv")).toBe(expected.length);
    expect((await bytes(storage.read("c1/result/file.csv"))).equals(expected)).toBe(true);
    // Ranges across and inside segments, at the edges, and past the end.
    const cuts = [
      0,
      1,
      4,
      5,
      6,
      20,
      21,
      22,
      1 << 20,
      (1 << 20) + 7,
      expected.length - 9,
      expected.length - 1,
    ];
    for (const start of cuts) {
      for (const end of [...cuts, expected.length, expected.length + 10]) {
        const got = await bytes(storage.read("c1/result/file.csv", { start, end }));
        expect(got.equals(expected.subarray(start, Math.max(start, end))), `${start}–${end}`).toBe(true);
      }
    }
    // The parts' keys removed (the engine does this once the export is completed): the file keeps its bytes.
    await storage.removePrefix("c1/parts");
    expect(await storage.size("c1/parts/a")).toBeNull();
    expect((await bytes(storage.read("c1/result/file.csv"))).equals(expected)).toBe(true);
    expect(await storage.list("c1/result")).toEqual(["c1/result/file.csv"]);
    await storage.remove("c1/result/file.csv");
    expect(await storage.size("c1/result/file.csv")).toBeNull();
    expect(await tree()).not.toContain(path.join("c1", "result", "file.csv"));
  });

  it("reads a composed file whole when it is removed while being read (its segments are open)", async () => {
    await put("c2/p", "x".repeat(3 << 20));
    await storage.compose("c2/r", [{ key: "c2/p" }, { bytes: Buffer.from("!") }, { key: "c2/p" }]);
    const stream = storage.read("c2/r");
    const first = await stream[Symbol.asyncIterator]().next();
    expect(first.done).toBe(false);
    await storage.remove("c2/r");
    await storage.remove("c2/p");
    let length = (first.value as Buffer).length;
    for await (const chunk of stream) length += (chunk as Buffer).length;
    expect(length).toBe(2 * (3 << 20) + 1);
  });

  it("replaces what is under its key, and a plain file replaces a composed one", async () => {
    await put("c3/p", "part");
    await put("c3/r", "old plain file");
    await storage.compose("c3/r", [{ key: "c3/p" }, { bytes: Buffer.from("+") }]);
    expect((await bytes(storage.read("c3/r"))).toString()).toBe("part+");
    await storage.compose("c3/r", [{ bytes: Buffer.from("again ") }, { key: "c3/p" }]);
    expect((await bytes(storage.read("c3/r"))).toString()).toBe("again part");
    expect(await put("c3/r", "plain again")).toBe(11);
    expect((await bytes(storage.read("c3/r"))).toString()).toBe("plain again");
  });

  it("fails on a missing part or a range outside it, leaving nothing behind", async () => {
    await put("c4/p", "12345");
    await expect(
      storage.compose("c4/r", [{ bytes: Buffer.from("h") }, { key: "c4/missing" }]),
    ).rejects.toThrow(/ENOENT/);
    await expect(storage.compose("c4/r", [{ key: "c4/p", start: 2, end: 9 }])).rejects.toThrow(/outside/);
    await expect(storage.compose("c4/r", [{ key: "c4/p", start: 3, end: 2 }])).rejects.toThrow(/outside/);
    expect(await storage.size("c4/r")).toBeNull();
    expect((await tree()).filter((f) => f.startsWith("c4"))).toEqual(["c4", path.join("c4", "p")]);
  });

  it("links the parts it names (no copy), and copies them where hard links are not to be had", async () => {
    await put("c6/p", "0123456789");
    await storage.compose("c6/linked", [{ key: "c6/p", start: 2 }]);
    expect((await stat(path.join(root, "c6/p"))).nlink).toBe(2);
    const copying = new LocalStorage(root, { hardLinks: false });
    await copying.compose("c6/copied", [{ bytes: Buffer.from(">") }, { key: "c6/p", start: 2 }]);
    expect((await stat(path.join(root, "c6/p"))).nlink).toBe(2);
    expect((await bytes(storage.read("c6/copied"))).toString()).toBe(">23456789");
    await storage.remove("c6/p");
    expect((await bytes(copying.read("c6/linked"))).toString()).toBe("23456789");
    expect((await bytes(copying.read("c6/copied"))).toString()).toBe(">23456789");
  });

  it("refuses keys outside its folder", async () => {
    await expect(storage.compose("../escape", [{ bytes: Buffer.from("x") }])).rejects.toThrow(
      /invalid storage key/,
    );
    await expect(storage.compose("c5/r", [{ key: "../../etc/passwd" }])).rejects.toThrow(
      /invalid storage key/,
    );
  });
});
