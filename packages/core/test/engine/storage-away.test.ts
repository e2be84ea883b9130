import net from "node:net";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { seedProducts } from "../../src/seed/products";
import { S3Storage } from "../../src/storage";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { createTestBucket, testS3Client } from "../../src/testing/s3";
import { drain, engineDeps, exportRow } from "./helpers";

let t: TestDatabase;
let alice: Actor;
/** A TCP forwarder to the test S3 server that can be switched off: the bucket goes away mid-export. */
let open = true;
let proxy: net.Server;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 1000);
  const target = new URL(inject("s3Endpoint"));
  proxy = net.createServer((client) => {
    if (!open) return client.destroy();
    const server = net.connect(Number(target.port), target.hostname);
    for (const s of [client, server]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(server).pipe(client);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
});

afterAll(async () => {
  proxy?.close();
  await t?.destroy();
});

it("the bucket away mid-export: the step retries with backoff, then the export fails with a readable message, no file", async () => {
  const endpoint = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  const bucket = await createTestBucket(inject("s3Endpoint"));
  const storage = new S3Storage(testS3Client(endpoint), bucket, "away");
  const deps = engineDeps(t, storage, { pageSize: 100, runPages: 1, maxAttempts: 3, backoffMs: 1 });
  const e = await createTestExport(t.db, alice, { request_path: "/api/v1/products/", format_type: "csv" });
  await drain(deps, "w", 3);
  expect((await exportRow(t.db, e.id)).collectedCount).toBe(300);
  open = false;
  for (const s of sockets) s.destroy();
  for (let i = 0; i < 50; i++) {
    await drain(deps, `w${i}`);
    if ((await exportRow(t.db, e.id)).status === "failed") break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const row = await exportRow(t.db, e.id);
  expect(row.status).toBe("failed");
  expect(row.errorMessage).toMatch(new RegExp(`^The file storage s3://${bucket}/away is unavailable: `));
  expect(row.resultKey).toBeNull();
  expect(row.collectedCount).toBe(300);
  // Every attempt was made before it failed.
  expect(row.attempts).toBe(3);
});
