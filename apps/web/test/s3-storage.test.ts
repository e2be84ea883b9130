import { randomBytes } from "node:crypto";
import { type ExportDto, S3Storage } from "@exports/core";
import { DEFAULT_ENGINE_CONFIG, runOnce } from "@exports/core/node";
import { createTestBucket, s3Env, seedProducts, testS3Client } from "@exports/core/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type CompletedDownload, exportEveryFormat, type Harness, startHarness } from "./harness";

// The web door on an s3:// storage (issue 14): downloads stream the object with the local backend's Range and
// ETag behaviour; with DOWNLOAD_REDIRECT=presigned they answer 302 to a presigned URL, after the same checks.
// The routes find their storage through getStorage(), from the environment read once by env().
const endpoint = inject("s3Endpoint");
const bucket = `exports-web-${randomBytes(6).toString("hex")}`;
Object.assign(process.env, s3Env(endpoint), {
  STORAGE_URL: `s3://${bucket}/web`,
  DOWNLOAD_REDIRECT: "presigned",
  DOWNLOAD_URL_TTL_SECONDS: "120",
});
delete process.env.STORAGE_DIR;

let h: Harness;
let storage: S3Storage;
let done: Record<string, CompletedDownload>;

beforeAll(async () => {
  await createTestBucket(endpoint, bucket);
  storage = new S3Storage(testS3Client(endpoint), bucket, "web");
  h = await startHarness();
  await seedProducts(h.db, 150);
  const deps = {
    db: h.db,
    pool: h.testDb.pool,
    storage,
    config: { ...DEFAULT_ENGINE_CONFIG, pageSize: 17, backoffMs: 10 },
  };
  done = await exportEveryFormat(h, storage, async () => {
    for (let i = 0; (await runOnce(deps, `s3-web:${i}`)) !== null; i++);
  });
});

afterAll(async () => {
  await h?.close();
});

describe("downloads from an S3 bucket with DOWNLOAD_REDIRECT=presigned", () => {
  it.each(["csv", "json", "xls"])(
    "%s: 302 to a presigned URL that serves exactly the file, its name and type",
    async (format) => {
      const d = done[format] as (typeof done)[string];
      const res = await h.send("GET", d.url, { token: h.alice.token });
      expect(res.status).toBe(302);
      expect(res.headers.get("cache-control")).toBe("private, no-store");
      const location = res.headers.get("location") ?? "";
      expect(location).toMatch(new RegExp(`^${endpoint}/${bucket}/web/results/${d.id}/`));
      expect(location).toContain("X-Amz-Expires=120");
      const file = await fetch(location);
      expect(file.status).toBe(200);
      expect(Buffer.from(await file.arrayBuffer()).equals(d.bytes)).toBe(true);
      expect(file.headers.get("content-disposition")).toMatch(/^attachment; filename="products-export-/);
      expect(file.headers.get("content-type")).toMatch(format === "xls" ? /spreadsheetml/ : format);
    },
  );

  it("authorises before it redirects: another user's export is 404, an unfinished one 409, none 401", async () => {
    const d = done.csv as (typeof done)[string];
    expect((await h.send("GET", d.url, { token: h.bob.token })).status).toBe(404);
    expect((await h.send("GET", d.url)).status).toBe(401);
    const res = await h.call("POST", "/api/v1/exports/", {
      token: h.alice.token,
      body: { request_path: "/api/v1/products/?id__lte=3" },
    });
    const id = (res.body as ExportDto).id;
    expect((await h.send("GET", `/api/v1/exports/${id}/download/`, { token: h.alice.token })).status).toBe(
      409,
    );
  });
});
