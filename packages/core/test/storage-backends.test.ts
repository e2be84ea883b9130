import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { describe, expect, inject, it } from "vitest";
import { LocalStorage, type Storage } from "../src/storage";
import { testS3Storage } from "../src/testing";

const bytes = async (stream: Readable) => Buffer.concat(await stream.toArray());
const MiB = 1024 * 1024;

/** What every storage promises the engine, the download and retention, run on each backend. */
const BACKENDS: Array<[string, () => Promise<Storage>]> = [
  ["the local folder", async () => new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-backend-")))],
  ["the S3 server", () => testS3Storage(inject("s3Endpoint"), "some/prefix")],
];

describe.each(BACKENDS)("%s", (_name, make) => {
  async function put(storage: Storage, key: string, data: string | Buffer) {
    const file = await storage.create(key);
    file.stream.end(data);
    return file.commit();
  }

  it("commits a file whole, with its size; an aborted or missing one is not there", async () => {
    const storage = await make();
    const data = Buffer.alloc(11 * MiB, 3);
    data.write("first", 0);
    data.write("last", data.length - 4);
    const file = await storage.create("a/big.bin");
    for (let at = 0; at < data.length; at += MiB) {
      if (!file.stream.write(data.subarray(at, at + MiB))) {
        await new Promise((r) => file.stream.once("drain", r));
      }
    }
    expect(await file.commit()).toBe(data.length);
    expect(await storage.size("a/big.bin")).toBe(data.length);
    expect((await bytes(storage.read("a/big.bin"))).equals(data)).toBe(true);
    expect(
      (await bytes(storage.read("a/big.bin", { start: data.length - 4, end: data.length }))).toString(),
    ).toBe("last");

    const aborted = await storage.create("a/aborted.bin");
    aborted.stream.write(Buffer.alloc(6 * MiB, 1));
    await aborted.abort();
    expect(await storage.size("a/aborted.bin")).toBeNull();
    expect(await storage.size("a/never.bin")).toBeNull();

    // Thrown away after its whole body was written (an object store may have stored it already): not there.
    const whole = await storage.create("a/whole.bin");
    whole.stream.end(Buffer.alloc(1000, 2));
    await new Promise((r) => setTimeout(r, 300));
    await whole.abort();
    expect(await storage.size("a/whole.bin")).toBeNull();
    expect(await storage.list("a")).toEqual(["a/big.bin"]);
  });

  it("composes pieces (given bytes, whole files, ranges; large and small) into one file that keeps its bytes when their keys go", async () => {
    const storage = await make();
    const small = Buffer.from("alpha-0123456789");
    const large = Buffer.alloc(13 * MiB, "b");
    large.write("head", 0);
    large.write("tail", large.length - 4);
    await put(storage, "c/parts/small", small);
    await put(storage, "c/parts/large", large);
    const pieces = [
      Buffer.from("HEAD\n"),
      small,
      Buffer.alloc(0),
      large.subarray(2, large.length - 1),
      small.subarray(6, 9),
      large,
      Buffer.from("\nEND"),
    ];
    const size = await storage.compose("c/result/file.csv", [
      { bytes: pieces[0] as Buffer },
      { key: "c/parts/small" },
      { bytes: Buffer.alloc(0) },
      { key: "c/parts/large", start: 2, end: large.length - 1 },
      { key: "c/parts/small", start: 6, end: 9 },
      { key: "c/parts/large" },
      { bytes: pieces[6] as Buffer },
    ]);
    const expected = Buffer.concat(pieces);
    expect(size).toBe(expected.length);
    await storage.removePrefix("c/parts");
    expect(await storage.list("c")).toEqual(["c/result"]);
    expect(await storage.size("c/result/file.csv")).toBe(expected.length);
    expect((await bytes(storage.read("c/result/file.csv"))).equals(expected)).toBe(true);
    for (const [start, end] of [
      [0, 5],
      [4, 21],
      [20, 7 * MiB],
      [expected.length - 10, expected.length],
    ] as const) {
      const part = await bytes(storage.read("c/result/file.csv", { start, end }));
      expect(part.equals(expected.subarray(start, end)), `${start}-${end}`).toBe(true);
    }
  });

  it("replaces what is under a key; fails on a missing piece or a range outside it, leaving nothing", async () => {
    const storage = await make();
    await put(storage, "r/one", "first");
    await put(storage, "r/one", "second");
    expect((await bytes(storage.read("r/one"))).toString()).toBe("second");
    await storage.compose("r/one", [{ bytes: Buffer.from("third") }]);
    expect((await bytes(storage.read("r/one"))).toString()).toBe("third");
    await expect(storage.compose("r/two", [{ key: "r/missing" }])).rejects.toThrow();
    await put(storage, "r/src", "0123456789");
    await expect(storage.compose("r/two", [{ key: "r/src", start: 2, end: 99 }])).rejects.toThrow(/outside/);
    expect(await storage.size("r/two")).toBeNull();
  });

  it("lists one level, removes a prefix (not its namesakes), and refuses keys outside its root", async () => {
    const storage = await make();
    for (const key of ["l/x/1", "l/x/2", "l/y", "l/xx/1"]) await put(storage, key, key);
    expect((await storage.list("l")).sort()).toEqual(["l/x", "l/xx", "l/y"]);
    expect((await storage.list("l/x")).sort()).toEqual(["l/x/1", "l/x/2"]);
    await storage.removePrefix("l/x");
    expect((await storage.list("l")).sort()).toEqual(["l/xx", "l/y"]);
    await storage.remove("l/y");
    await storage.remove("l/y");
    expect(await storage.list("l")).toEqual(["l/xx"]);
    expect(await storage.list("nothing")).toEqual([]);
    for (const bad of ["../x", "/abs", "a/../../b", "a\0b"]) {
      await expect(storage.create(bad)).rejects.toThrow(/invalid storage key/);
    }
  });
});
