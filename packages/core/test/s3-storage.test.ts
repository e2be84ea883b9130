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
