import { createServer, type Server } from "node:http";
import { type APIRequestContext, expect, test } from "@playwright/test";
import { type CreatedUser, cli, createUser } from "../support/cli";

/**
 * HTTP as REST consumers use it (issue 12 §5), against `pnpm start`: a broken download resumes with Range and
 * If-Range, a repeated one is a 304, and a browser page on an origin listed in CORS_ORIGINS (scripts/serve.sh
 * lists CORS_PAGE_ORIGIN) reads the REST API from Chromium, preflights included, while an unlisted one cannot.
 */
let alice: CreatedUser;

const auth = (u: CreatedUser) => ({ Authorization: `Token ${u.token}` });

/** A page of its own origin for the CORS test: served on all interfaces, so 127.0.0.1 and localhost both work. */
const APP_PORT = Number(process.env.E2E_PORT ?? 3100);
const API = process.env.E2E_BASE_URL ?? `http://127.0.0.1:${APP_PORT}`;
const PAGE_PORT = APP_PORT + 4000;
const LISTED = `http://127.0.0.1:${PAGE_PORT}`;
const UNLISTED = `http://localhost:${PAGE_PORT}`;

test.beforeAll(() => {
  alice = createUser("http_alice");
  cli("seed", "--products", "3000");
});

async function completedExport(request: APIRequestContext, format: string): Promise<string> {
  const created = await request.post("/api/v1/exports/", {
    headers: auth(alice),
    data: { request_path: "/api/v1/products/", format_type: format },
  });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  for (let i = 0; i < 600; i++) {
    const body = await (await request.get(`/api/v1/exports/${id}/`, { headers: auth(alice) })).json();
    if (body.status === "completed") return id;
    expect(["waiting", "waiting_next_page", "processing", "preparing_file_creation"]).toContain(body.status);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`export ${id} did not complete`);
}

test("a broken download resumes with Range + If-Range; a repeated one is a 304", async ({ request }) => {
  const id = await completedExport(request, "xls");
  const url = `/api/v1/exports/${id}/download/`;
  const whole = await request.get(url, { headers: auth(alice) });
  expect(whole.status()).toBe(200);
  expect(whole.headers()["accept-ranges"]).toBe("bytes");
  const etag = whole.headers().etag ?? "";
  expect(etag).toMatch(/^"[^"]+"$/);
  const bytes = await whole.body();
  const cut = Math.floor(bytes.length / 3);

  const rest = await request.get(url, {
    headers: { ...auth(alice), Range: `bytes=${cut}-`, "If-Range": etag },
  });
  expect(rest.status()).toBe(206);
  expect(rest.headers()["content-range"]).toBe(`bytes ${cut}-${bytes.length - 1}/${bytes.length}`);
  expect(Buffer.concat([bytes.subarray(0, cut), await rest.body()]).equals(bytes)).toBe(true);

  const head = await request.head(url, { headers: { ...auth(alice), Range: "bytes=0-9" } });
  expect(head.status()).toBe(206);
  expect(head.headers()["content-length"]).toBe("10");

  const again = await request.get(url, { headers: { ...auth(alice), "If-None-Match": etag } });
  expect(again.status()).toBe(304);
  const past = await request.get(url, { headers: { ...auth(alice), Range: `bytes=${bytes.length}-` } });
  expect(past.status()).toBe(416);
  expect(past.headers()["content-range"]).toBe(`bytes */${bytes.length}`);
});

test.describe("CORS from Chromium", () => {
  test.skip(!!process.env.E2E_BASE_URL, "an app started elsewhere has its own CORS_ORIGINS");
  let server: Server;

  test.beforeAll(async () => {
    server = createServer((_req, res) => {
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      res.end("<!doctype html><title>another origin</title>");
    });
    await new Promise<void>((resolve) => server.listen(PAGE_PORT, resolve));
  });

  test.afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  test("a page on a listed origin lists, creates and reads a range; an unlisted one cannot read", async ({
    page,
    request,
  }) => {
    const id = await completedExport(request, "csv");
    await page.goto(`${LISTED}/`);
    const listed = await page.evaluate(
      async ({ api, token, id }) => {
        const headers = { Authorization: `Token ${token}` };
        const list = await fetch(`${api}/api/v1/exports/?limit=1`, { headers });
        // JSON with a custom header: a preflighted POST.
        const created = await fetch(`${api}/api/v1/exports/`, {
          method: "POST",
          headers: { ...headers, "Content-Type": "application/json", "Idempotency-Key": `cors-${id}` },
          body: JSON.stringify({ request_path: "/api/v1/orders/" }),
        });
        const range = await fetch(`${api}/api/v1/exports/${id}/download/`, {
          headers: { ...headers, Range: "bytes=0-2" },
        });
        return {
          list: [list.status, list.headers.get("x-total-count"), list.headers.get("link")],
          created: created.status,
          range: [range.status, range.headers.get("content-range"), range.headers.get("etag")],
        };
      },
      { api: API, token: alice.token, id },
    );
    expect(listed.list[0]).toBe(200);
    expect(Number(listed.list[1])).toBeGreaterThan(0);
    expect(listed.list[2]).toContain('rel="first"');
    expect(listed.created).toBe(201);
    expect(listed.range[0]).toBe(206);
    expect(listed.range[1]).toMatch(/^bytes 0-2\/\d+$/);
    expect(listed.range[2]).toMatch(/^"/);

    await page.goto(`${UNLISTED}/`);
    const unlisted = await page.evaluate(
      async ({ api, token }) => {
        try {
          await fetch(`${api}/api/v1/exports/`, { headers: { Authorization: `Token ${token}` } });
          return "read";
        } catch (err) {
          return String(err);
        }
      },
      { api: API, token: alice.token },
    );
    expect(unlisted).toMatch(/TypeError/);
  });
});
