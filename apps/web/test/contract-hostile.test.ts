import { beforeAll, describe, expect, it } from "vitest";
import { contractClient, itSweepsEveryRecord } from "./contract";
import { fileHarness } from "./harness";

// SPEC §2.10: hostile input is a 4xx, never a 500. Case by case through the real API door; every answer is
// checked against the contract.

const h = fileHarness();
const { get, post } = contractClient(h);

describe("hostile input is a 4xx, never a 500 (SPEC §2.10)", () => {
  const values = [
    "\u0000",
    "a\u0000b",
    "9999-12-31",
    "9999-12-31T23:59:59.999-01:00",
    "0001-01-01",
    "0001-01-01T00:00:00+01:00",
    "10000-01-01",
    "0000-01-01",
    "x".repeat(5000),
    "'; drop table exports;--",
    "İ",
    "1e309",
    "NaN",
    "99999999999999999999",
    "2147483648",
    ",,",
    " ",
    "%_\\",
    "2025-03-01T10:00:00+24:00",
  ];
  const exportParams = [
    "status",
    "status__in",
    "format_type__in",
    "created_date",
    "created_date__gt",
    "created_date__date",
    "created_date__date__gt",
    "created_date__date__lte",
    "limit",
    "page",
    "ordering",
    "unknown",
  ];
  const productParams = [
    "id__in",
    "id__gt",
    "sku",
    "name__icontains",
    "price__lt",
    "currency__in",
    "stock",
    "is_active",
    "created_date__lte",
    "modified_date__date__gt",
  ];
  const ok = (status: number) => status === 200 || status === 201 || status === 400 || status === 404;

  beforeAll(async () => {
    await h.insertExport(h.alice);
  });

  it.each(values.map((v) => [JSON.stringify(v).slice(0, 30), v]))(
    "query and path value %s",
    async (_l, v) => {
      const value = encodeURIComponent(v);
      for (const p of exportParams) {
        const res = await get(`/api/v1/exports/?${p}=${value}`, h.root);
        expect(ok(res.status), `${p}=${v}`).toBe(true);
      }
      for (const p of productParams) {
        const res = await get(`/api/v1/products/?${p}=${value}`, h.alice);
        expect(ok(res.status), `${p}=${v}`).toBe(true);
      }
      expect((await get(`/api/v1/exports/${value}/`, h.root)).status).toBe(404);
      expect((await post(`/api/v1/exports/${value}/set_cancel/`, h.root)).status).toBe(404);
    },
  );

  it.each(values.map((v) => [JSON.stringify(v).slice(0, 30), v]))("create body value %s", async (_l, v) => {
    const before = await h.countExports(h.bob);
    let created = 0;
    for (const body of [
      { request_path: v },
      { request_path: `/api/v1/products/?sku=${encodeURIComponent(v)}` },
      { request_path: `/api/v1/products/?${encodeURIComponent(v)}=1` },
      { request_path: `/api/v1/products/?limit=${v}` },
      { request_path: "/api/v1/products/", action_name: v },
      { request_path: "/api/v1/products/", request_fields: [v] },
      { request_path: "/api/v1/products/", language: v },
      { request_path: "/api/v1/products/", format_type: v },
    ]) {
      const res = await post("/api/v1/exports/", h.bob, { body });
      expect(ok(res.status), JSON.stringify(body).slice(0, 200)).toBe(true);
      if (res.status === 201) created++;
    }
    expect(await h.countExports(h.bob)).toBe(before + created);
  });

  it("refuses a NUL character in a create's text fields with DRF's message", async () => {
    const res = await post("/api/v1/exports/", h.bob, {
      body: {
        request_path: "/api/v1/products/?limit=\u0000",
        action_name: "a\u0000",
        request_fields: ["\u0000"],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      request_path: ["Null characters are not allowed."],
      action_name: ["Null characters are not allowed."],
      request_fields: ["Item 1: Null characters are not allowed."],
    });
  });
});

itSweepsEveryRecord(h);
