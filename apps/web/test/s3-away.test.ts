import net from "node:net";
import type { ExportDto } from "@exports/core";
import { s3Env } from "@exports/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./harness";

// The bucket away (issue 14): requests that need it answer 503 JSON with Retry-After, at once, never a hang or
// a 500; requests that do not (list, retrieve) go on. The storage is an S3 endpoint where nothing listens.
const closed = net.createServer();
await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
const port = (closed.address() as net.AddressInfo).port;
await new Promise((r) => closed.close(r));
Object.assign(process.env, s3Env(`http://127.0.0.1:${port}`), { STORAGE_URL: "s3://away-bucket" });
delete process.env.STORAGE_DIR;

let h: Harness;
let completed: ExportDto;

beforeAll(async () => {
  h = await startHarness();
  const res = await h.call("POST", "/api/v1/exports/", {
    token: h.alice.token,
    body: { request_path: "/api/v1/products/" },
  });
  completed = res.body as ExportDto;
  // As if a worker had completed it before the bucket went away.
  await h.testDb.pool.query("update exports set status = 'completed', result_key = $2 where id = $1", [
    completed.id,
    `results/${completed.id}/a/file.csv`,
  ]);
});

afterAll(async () => {
  await h?.close();
});

describe("while the bucket is away", () => {
  it("a download answers 503 JSON with Retry-After", async () => {
    const res = await h.send("GET", `/api/v1/exports/${completed.id}/download/`, { token: h.alice.token });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toEqual({ detail: "The file storage is unavailable. Try again in a moment." });
  });

  it("a create with a filter file answers 503 and stores no export", async () => {
    const before = (await h.call("GET", "/api/v1/exports/", { token: h.alice.token })).body as unknown[];
    const form = new FormData();
    form.set("request_path", "/api/v1/products/");
    form.set("filter_file", new Blob(["SKU-1\n"]), "skus.txt");
    const res = await h.send("POST", "/api/v1/exports/", { token: h.alice.token, rawBody: form });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    const after = (await h.call("GET", "/api/v1/exports/", { token: h.alice.token })).body as unknown[];
    expect(after.length).toBe(before.length);
  });

  it("list and retrieve, which need no file, still answer", async () => {
    expect((await h.call("GET", "/api/v1/exports/", { token: h.alice.token })).status).toBe(200);
    expect((await h.call("GET", `/api/v1/exports/${completed.id}/`, { token: h.alice.token })).status).toBe(
      200,
    );
  });
});
