import { type APIRequestContext, expect, test } from "@playwright/test";
import { parse } from "csv-parse/sync";
import { type CreatedUser, cli, createUser } from "../support/cli";

/**
 * The engine from outside: `pnpm start` runs a worker; an export created over REST moves through its states
 * with progress, completes, and its download holds exactly the records the list endpoint lists.
 */
let alice: CreatedUser;
let admin: CreatedUser;

test.beforeAll(() => {
  alice = createUser("engine_alice");
  admin = createUser("engine_admin", true);
  // Enough rows for several pages; seeding continues numbering, so parallel runs stay deterministic.
  cli("seed", "--products", "3000");
});

const auth = (u: CreatedUser) => ({ Authorization: `Token ${u.token}` });

async function waitForStatus(
  request: APIRequestContext,
  user: CreatedUser,
  id: string,
  done: (s: string) => boolean,
) {
  const seen: number[] = [];
  for (let i = 0; i < 600; i++) {
    const res = await request.get(`/api/v1/exports/${id}/`, { headers: auth(user) });
    const body = await res.json();
    seen.push(body.collected_count);
    if (done(body.status)) return { body, seen };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`export ${id} did not finish`);
}

async function listAll(request: APIRequestContext, user: CreatedUser, query: string) {
  const records: Array<Record<string, unknown>> = [];
  for (let page = 1; ; page++) {
    const res = await request.get(`/api/v1/products/?${query}&limit=1000&page=${page}`, {
      headers: auth(user),
    });
    const items = (await res.json()) as Array<Record<string, unknown>>;
    records.push(...items);
    if (items.length < 1000) return records;
  }
}

test("a CSV export completes and its download equals the listed records", async ({ request }) => {
  const query = "is_active=true&price__gte=100";
  const created = await request.post("/api/v1/exports/", {
    headers: auth(alice),
    data: {
      request_path: `/api/v1/products/?${query}`,
      request_fields: ["id", "sku", "stock"],
      format_type: "csv",
    },
  });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  const { body } = await waitForStatus(request, alice, id, (s) => s === "completed" || s === "failed");
  expect(body.status).toBe("completed");
  expect(body.result_file).toBe(`/api/v1/exports/${id}/download/`);

  const download = await request.get(body.result_file, { headers: auth(alice) });
  expect(download.status()).toBe(200);
  expect(download.headers()["content-type"]).toContain("text/csv");
  expect(download.headers()["content-disposition"]).toMatch(/attachment; filename="products-export-.*\.csv"/);
  const text = (await download.body()).toString("utf8");
  expect(text.startsWith("\uFEFF")).toBe(true);
  const [header, ...rows] = parse(text.slice(1)) as string[][];
  expect(header).toEqual(["ID", "SKU", "Stock"]);

  const listed = await listAll(request, alice, query);
  expect(body.total_count).toBe(listed.length);
  expect(rows).toEqual(listed.map((p) => [String(p.id), String(p.sku), String(p.stock)]));

  const other = createUser("engine_bob");
  expect((await request.get(body.result_file, { headers: auth(other) })).status()).toBe(404);
});

test("a superuser's set_cancel stops a running export; no file is produced", async ({ request }) => {
  const created = await request.post("/api/v1/exports/", {
    headers: auth(alice),
    data: { request_path: "/api/v1/products/", format_type: "xls" },
  });
  const { id } = await created.json();
  const cancel = await request.post(`/api/v1/exports/${id}/set_cancel/`, { headers: auth(admin) });
  // Depending on timing the export is cancelled (200) or, on a fast machine, already completed (409).
  expect([200, 409]).toContain(cancel.status());
  const after = await (await request.get(`/api/v1/exports/${id}/`, { headers: auth(alice) })).json();
  if (cancel.status() === 200) {
    await new Promise((r) => setTimeout(r, 1000));
    const later = await (await request.get(`/api/v1/exports/${id}/`, { headers: auth(alice) })).json();
    expect(later.status).toBe("cancelled");
    expect(later.result_file).toBeNull();
    expect((await request.get(`/api/v1/exports/${id}/download/`, { headers: auth(alice) })).status()).toBe(
      409,
    );
  } else {
    expect(after.status).toBe("completed");
  }
});
