import { connect } from "node:net";
import { type APIRequestContext, expect, test } from "@playwright/test";
import { type CreatedUser, createUser } from "../support/cli";

/**
 * The given REST contract from outside, against `pnpm start`: users made with the real CLI, every rule of
 * SPEC §2 that a consumer can observe, with the exact paths (trailing slashes, no redirects).
 */
let admin: CreatedUser;
let alice: CreatedUser;
let bob: CreatedUser;

test.beforeAll(() => {
  admin = createUser("admin", true);
  alice = createUser("alice");
  bob = createUser("bob");
});

const auth = (u: CreatedUser) => ({ Authorization: `Token ${u.token}` });

async function createExport(request: APIRequestContext, user: CreatedUser, data: Record<string, unknown>) {
  const res = await request.post("/api/v1/exports/", { headers: auth(user), data, maxRedirects: 0 });
  return { status: res.status(), body: await res.json() };
}

test("an owner creates, lists and retrieves an export; nobody else sees it", async ({ request }) => {
  const created = await createExport(request, alice, {
    request_path: "/api/v1/products/?is_active=true",
    request_fields: ["sku", "name", "price"],
    format_type: "xls",
    language: "tr",
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({
    status: "waiting",
    format_type: "xls",
    language: "tr",
    requested_by: alice.id,
  });

  for (const path of [`/api/v1/exports/${created.body.id}/`, `/api/v1/exports/${created.body.id}`]) {
    const res = await request.get(path, { headers: auth(alice), maxRedirects: 0 });
    expect(res.status(), path).toBe(200);
    expect((await res.json()).id).toBe(created.body.id);
  }

  const list = await request.get("/api/v1/exports/?status=pending", {
    headers: auth(alice),
    maxRedirects: 0,
  });
  expect(list.status()).toBe(200);
  expect(Number(list.headers()["x-total-count"])).toBeGreaterThanOrEqual(1);
  expect(list.headers().link).toContain('rel="first"');
  expect((await list.json()).map((e: { id: string }) => e.id)).toContain(created.body.id);

  const asBob = await request.get(`/api/v1/exports/${created.body.id}/`, { headers: auth(bob) });
  expect(asBob.status()).toBe(404);
  expect(await asBob.json()).toEqual({ detail: "Not found." });
  const bobsList = await request.get("/api/v1/exports/", { headers: auth(bob) });
  expect((await bobsList.json()).map((e: { id: string }) => e.id)).not.toContain(created.body.id);

  const asAdmin = await request.get(`/api/v1/exports/${created.body.id}/`, { headers: auth(admin) });
  expect(asAdmin.status()).toBe(200);
});

test("set_cancel: superusers only, idempotent, 409 once finished", async ({ request }) => {
  const { body } = await createExport(request, alice, { request_path: "/api/v1/products/" });
  const path = `/api/v1/exports/${body.id}/set_cancel/`;

  const denied = await request.post(path, { headers: auth(alice) });
  expect(denied.status()).toBe(403);
  expect(await denied.json()).toEqual({ detail: "You do not have permission to perform this action." });

  // A worker is running: the export may finish before the cancel lands. Either way the answer follows
  // SPEC §2.9 (the deterministic races are covered by the Vitest suites).
  const first = await request.post(path, { headers: auth(admin), maxRedirects: 0 });
  const again = await request.post(path.slice(0, -1), { headers: auth(admin), maxRedirects: 0 });
  if (first.status() === 200) {
    expect((await first.json()).status).toBe("cancelled");
    expect(again.status()).toBe(200);
    expect((await again.json()).status).toBe("cancelled");
  } else {
    expect(first.status()).toBe(409);
    expect(await first.json()).toEqual({ detail: "Export is already completed." });
    expect(again.status()).toBe(409);
  }

  const missing = await request.post("/api/v1/exports/12/set_cancel/", { headers: auth(admin) });
  expect(missing.status()).toBe(404);
});

test("errors are JSON with the contract's status codes", async ({ request }) => {
  const none = await request.get("/api/v1/exports/");
  expect(none.status()).toBe(401);
  expect(none.headers()["www-authenticate"]).toBe("Token");
  expect(await none.json()).toEqual({ detail: "Authentication credentials were not provided." });

  const bad = await request.get("/api/v1/exports/", {
    headers: { Authorization: `Token ${"0".repeat(40)}` },
  });
  expect(bad.status()).toBe(401);
  expect(await bad.json()).toEqual({ detail: "Invalid token." });

  const status = await request.get("/api/v1/exports/?status=bogus", { headers: auth(alice) });
  expect(status.status()).toBe(400);
  expect(await status.json()).toEqual({
    status: ["Select a valid choice. bogus is not one of the available choices."],
  });

  const date = await request.get("/api/v1/exports/?created_date__gte=yesterday", { headers: auth(alice) });
  expect(date.status()).toBe(400);
  expect(Object.keys(await date.json())).toEqual(["created_date__gte"]);

  const badCreate = await createExport(request, alice, {
    request_path: "https://elsewhere.example/api/v1/products/",
    request_fields: ["sku", "colour"],
    format_type: "xml",
  });
  expect(badCreate.status).toBe(400);
  expect(Object.keys(badCreate.body).sort()).toEqual(["format_type", "request_path"]);

  const unknownField = await createExport(request, alice, {
    request_path: "/api/v1/products/",
    request_fields: ["colour"],
  });
  expect(unknownField.status).toBe(400);
  expect(unknownField.body.request_fields[0]).toContain("colour");

  const notJson = await request.post("/api/v1/exports/", {
    headers: { ...auth(alice), "Content-Type": "application/json" },
    data: Buffer.from("{not json"),
  });
  expect(notJson.status()).toBe(400);
  expect((await notJson.json()).detail).toMatch(/JSON parse error/);

  const html = await request.get("/api/v1/does-not-exist/", { headers: auth(alice) });
  expect(html.status()).toBe(404);
  expect(html.headers()["content-type"]).toContain("application/json");
});

test("products list: filters and array pagination headers", async ({ request }) => {
  const res = await request.get("/api/v1/products/?is_active=true&limit=5", { headers: auth(alice) });
  expect(res.status()).toBe(200);
  expect(Array.isArray(await res.json())).toBe(true);
  expect(res.headers()["x-total-count"]).toMatch(/^\d+$/);
  const unknown = await request.get("/api/v1/products/?colour=red", { headers: auth(alice) });
  expect(unknown.status()).toBe(400);
  expect(await unknown.json()).toEqual({ colour: ["Unknown filter."] });
});

/** Raw bytes to the running server on a new connection; the answer once the server closes it. */
function rawRequest(baseURL: string, bytes: string): Promise<{ status: number; head: string; body: string }> {
  const url = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      data += d;
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", body = ""] = data.split("\r\n\r\n", 2);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body });
    });
    socket.write(bytes);
  });
}

test("request targets that name no page get a JSON 4xx from the real server, never Next's 500 (issue 12)", async ({
  baseURL,
}) => {
  const base = baseURL ?? "";
  const options = await rawRequest(base, "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  expect(options.status).toBe(204);
  for (const line of ["GET * HTTP/1.1", "GET nonsense HTTP/1.1", "GET example.com:443 HTTP/1.1"]) {
    const answer = await rawRequest(base, `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(answer.status, line).toBe(400);
    expect(answer.head, line).toMatch(/\r\ncontent-type: application\/json/i);
    expect(JSON.parse(answer.body), line).toEqual({ detail: expect.any(String) });
  }
  const broken = await rawRequest(base, "GET / HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n");
  expect(broken.status).toBe(400);
  expect(JSON.parse(broken.body)).toEqual({ detail: "Malformed HTTP request." });
});
