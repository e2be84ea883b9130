import net from "node:net";
import type { Readable } from "node:stream";
import { describe, expect, inject, it } from "vitest";
import { S3Storage, StorageUnavailableError } from "../src/storage";
import { testS3Client, testS3Storage } from "../src/testing";

const bytes = async (stream: Readable) => Buffer.concat(await stream.toArray());
const MiB = 1024 * 1024;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe("S3Storage on a server without UploadPartCopy (s3rver)", () => {
  it("composes by sending every byte itself once the server refuses a copy, and says so", async () => {
    const storage = await testS3Storage(inject("s3Endpoint"));
    const part = Buffer.alloc(12 * MiB, 7);
    const file = await storage.create("parts/p");
    file.stream.end(part);
    await file.commit();
    const size = await storage.compose("results/r", [{ bytes: Buffer.from("[") }, { key: "parts/p" }]);
    expect(size).toBe(part.length + 1);
    expect(storage.copy.supported).toBe(false);
    expect((await bytes(storage.read("results/r"))).equals(Buffer.concat([Buffer.from("["), part]))).toBe(
      true,
    );
    // The next composition goes straight to sending.
    expect(
      await storage.compose("results/r2", [{ key: "parts/p" }, { key: "parts/p", start: 0, end: 6 * MiB }]),
    ).toBe(18 * MiB);
  });

  it("copes with a server that cannot list or abort multipart uploads", async () => {
    const storage = await testS3Storage(inject("s3Endpoint"));
    expect(await storage.abortStaleUploads(new Date())).toBe(0);
  });

  it("gives a presigned URL that serves the object, with the file name it is given", async () => {
    const storage = await testS3Storage(inject("s3Endpoint"), "pre");
    const file = await storage.create("results/x/a.csv");
    file.stream.end("a,b\r\n");
    await file.commit();
    const url = await storage.presignedUrl("results/x/a.csv", 60, {
      disposition: 'attachment; filename="a.csv"',
      contentType: "text/csv; charset=utf-8",
    });
    const answer = await fetch(url);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-disposition")).toBe('attachment; filename="a.csv"');
    expect(answer.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(await answer.text()).toBe("a,b\r\n");
  });
});

/** `n` bytes that differ from those of another `seed`, and from part to part. */
function pattern(n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 20)) & 0xff;
  return out;
}

/** Writes `data` in chunks of `chunk` bytes, waiting when the stream asks. */
async function writeIn(stream: NodeJS.WritableStream, data: Buffer, chunk: number) {
  for (let at = 0; at < data.length; at += chunk) {
    if (!stream.write(data.subarray(at, at + chunk))) await new Promise((r) => stream.once("drain", r));
  }
  stream.end();
}

describe("S3Storage writes files as they stream", () => {
  it("stores every size exactly: empty, one part, one byte over, many parts; files at once share no buffer", async () => {
    const storage = await testS3Storage(inject("s3Endpoint"), "", { partSize: 5 * MiB });
    const sizes = [0, 5 * MiB, 5 * MiB + 1, 17 * MiB + 123];
    const files = await Promise.all(
      sizes.map(async (n, i) => {
        const data = pattern(n, i);
        const file = await storage.create(`parts/f${i}`);
        await writeIn(file.stream, data, 300_001);
        return { data, size: await file.commit(), key: `parts/f${i}` };
      }),
    );
    for (const { data, size, key } of files) {
      expect(size).toBe(data.length);
      expect((await bytes(storage.read(key))).equals(data)).toBe(true);
    }
  });

  it("an abort before the end leaves no object; one after the end removes it", async () => {
    const storage = await testS3Storage(inject("s3Endpoint"), "", { partSize: 5 * MiB });
    const early = await storage.create("parts/early");
    early.stream.write(pattern(11 * MiB, 1));
    await early.abort();
    const late = await storage.create("parts/late");
    late.stream.end(pattern(6 * MiB, 2));
    await late.abort();
    expect(await storage.size("parts/early")).toBeNull();
    expect(await storage.size("parts/late")).toBeNull();
  });
});

describe("S3Storage when the server is away", () => {
  it("fails every operation promptly with StorageUnavailableError, never hangs", async () => {
    const storage = new S3Storage(testS3Client(`http://127.0.0.1:${await closedPort()}`), "bucket", "");
    await expect(storage.size("k")).rejects.toThrow(StorageUnavailableError);
    await expect(storage.check()).rejects.toThrow(StorageUnavailableError);
    await expect(bytes(storage.read("k"))).rejects.toThrow(StorageUnavailableError);
    await expect(storage.compose("r", [{ bytes: Buffer.from("x") }])).rejects.toThrow(
      StorageUnavailableError,
    );
    await expect(storage.list("parts")).rejects.toThrow(/s3:\/\/bucket is unavailable/);
    const file = await storage.create("parts/x");
    file.stream.end("data");
    await expect(file.commit()).rejects.toThrow(StorageUnavailableError);
  });
});
