import { existsSync, readFileSync } from "node:fs";
import { createDatabase, type Database, type ExportDto, type ExportStatus } from "@exports/core";
import { seedProducts } from "@exports/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertContract,
  assertErrorBody,
  assertExportRecord,
  documentedResponse,
  GIVEN_OPERATIONS,
  SEED_OPENAPI_PATH,
  SHARED_OPENAPI_PATH,
  validateExport,
} from "./contract";
import {
  ALL_STATUSES,
  type CallOptions,
  type CallResult,
  type Harness,
  parseLinks,
  startHarness,
  type TestUser,
} from "./harness";

// SPEC §2, case by case, through the real route modules; every response is checked against the contract.

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

/** A request through the route modules whose response must satisfy the contract. */
async function api(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const res = await h.call(method, path, options);
  assertContract(method, path, res);
  return res;
}

const get = (path: string, user: TestUser | null, options: CallOptions = {}) =>
  api("GET", path, { token: user?.token ?? null, ...options });
const post = (path: string, user: TestUser | null, options: CallOptions = {}) =>
  api("POST", path, { token: user?.token ?? null, ...options });

const items = (res: CallResult) => res.body as ExportDto[];
const ids = (res: CallResult) => items(res).map((e) => e.id);

const NOT_FOUND = { detail: "Not found." };
const FORBIDDEN = { detail: "You do not have permission to perform this action." };
const NOT_PROVIDED = { detail: "Authentication credentials were not provided." };
const INVALID_TOKEN = { detail: "Invalid token." };
const POSITIVE = "A valid positive integer is required.";
const invalidChoice = (param: string, value: string) => ({
  [param]: [`Select a valid choice. ${value} is not one of the available choices.`],
});

const MISSING_UUID = "6f1c9d3e-2b7a-4c1e-9f00-000000000000";

describe("the contract file and its validator", () => {
  it("is an identical copy of the shared spec", (ctx) => {
    if (!existsSync(SHARED_OPENAPI_PATH)) ctx.skip();
    expect(readFileSync(SEED_OPENAPI_PATH)).toEqual(readFileSync(SHARED_OPENAPI_PATH));
  });

  it("documents the given operations and statuses", () => {
    expect(GIVEN_OPERATIONS).toHaveLength(3);
    expect(documentedResponse("GET /api/v1/exports/", 200)?.validate).toBeTypeOf("function");
    expect(documentedResponse("GET /api/v1/exports/{id}/", 200)?.validate).toBeTypeOf("function");
    expect(documentedResponse("GET /api/v1/exports/{id}/", 404)?.validate).toBeTypeOf("function");
    expect(documentedResponse("POST /api/v1/exports/{id}/set_cancel/", 200)?.validate).toBeTypeOf("function");
    // The given 403 has no body schema; our body is still checked as an error body.
    expect(documentedResponse("POST /api/v1/exports/{id}/set_cancel/", 403)).toEqual({ validate: null });
    expect(documentedResponse("POST /api/v1/exports/{id}/set_cancel/", 404)?.validate).toBeTypeOf("function");
    expect(documentedResponse("GET /api/v1/exports/", 401)).toBeUndefined();
  });

  it("is strict: it rejects a missing, an extra, a renamed or a mistyped field", async () => {
    const res = await post("/api/v1/exports/", h.alice, { body: { request_path: "/api/v1/products/" } });
    const record = res.body as Record<string, unknown>;
    expect(validateExport(record)).toBe(true);
    const broken: Record<string, unknown>[] = [
      (({ viewset: _, ...rest }) => rest)(record),
      { ...record, extra: 1 },
      (({ created_date, ...rest }) => ({ ...rest, createdDate: created_date }))(record),
      { ...record, id: 17 },
      { ...record, id: "not-a-uuid" },
      { ...record, collected_count: 2 ** 31 },
      { ...record, page: 1.5 },
      { ...record, status: "pending" },
      { ...record, format_type: "xml" },
      { ...record, language: "123456789" },
      { ...record, created_date: "2025-01-01T00:00:00" },
      { ...record, request_fields: null },
      { ...record, action_name: "x".repeat(256) },
    ];
    for (const b of broken) expect(validateExport(b), JSON.stringify(b)).toBe(false);
    // nullable fields accept null; filter_file (format binary) accepts a string.
    expect(validateExport({ ...record, result_file: null, filter_file: "filters/abc.csv" })).toBe(true);
  });

  it("accepts only {detail} or field → messages for undocumented errors", () => {
    expect(() => assertErrorBody({ detail: "x" })).not.toThrow();
    expect(() => assertErrorBody({ status: ["x"], limit: ["y"] })).not.toThrow();
    for (const bad of [
      [],
      "x",
      {},
      { detail: 1 },
      { detail: "x", extra: 1 },
      { status: "x" },
      { status: [] },
    ]) {
      expect(() => assertErrorBody(bad), JSON.stringify(bad)).toThrow();
    }
    expect(() =>
      assertContract("GET", "/api/v1/exports/abc/", { status: 404, body: { error: "nope" } }),
    ).toThrow();
    expect(() => assertContract("GET", "/api/v1/exports/", { status: 200, body: {} })).toThrow();
  });
});

describe("list (SPEC §2.5)", () => {
  let lister: TestUser;
  let rows: { id: string; created: string }[];

  beforeAll(async () => {
    lister = await h.addUser("lister");
    const inserted = await h.insertExports(
      lister,
      [0, 1, 2, 3, 4].map((i) => ({ createdDate: new Date(Date.UTC(2025, 4, 1, 12, i)) })),
    );
    rows = inserted.map((r) => ({ id: r.id, created: r.createdDate.toISOString() }));
  });

  it("is a JSON array of the caller's exports, newest first, with X-Total-Count and Link", async () => {
    const res = await get("/api/v1/exports/", lister);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(ids(res)).toEqual(rows.map((r) => r.id).reverse());
    expect(items(res).map((e) => e.created_date)).toEqual(rows.map((r) => r.created).reverse());
    expect(items(res).every((e) => e.requested_by === lister.id)).toBe(true);
    expect(res.headers.get("x-total-count")).toBe("5");
    const links = parseLinks(res.headers.get("link"));
    expect(Object.keys(links).sort()).toEqual(["first", "last"]);
    expect(links.first?.searchParams.get("page")).toBe("1");
    expect(links.last?.searchParams.get("page")).toBe("1");
    expect(links.first?.searchParams.get("limit")).toBe("100");
  });

  it("answers the same without the trailing slash (SPEC §2.6)", async () => {
    const a = await get("/api/v1/exports/", lister);
    const b = await get("/api/v1/exports", lister);
    expect(b.status).toBe(200);
    expect(b.body).toEqual(a.body);
  });

  it("pages with limit and page, with first/prev/next/last links", async () => {
    const newest = rows.map((r) => r.id).reverse();
    const expectations = [
      { page: 1, ids: newest.slice(0, 2), rels: { first: 1, next: 2, last: 3 } },
      { page: 2, ids: newest.slice(2, 4), rels: { first: 1, prev: 1, next: 3, last: 3 } },
      { page: 3, ids: newest.slice(4), rels: { first: 1, prev: 2, last: 3 } },
    ];
    for (const e of expectations) {
      const res = await get(`/api/v1/exports/?limit=2&page=${e.page}`, lister);
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual(e.ids);
      expect(res.headers.get("x-total-count")).toBe("5");
      const links = parseLinks(res.headers.get("link"));
      const pages = Object.fromEntries(
        Object.entries(links).map(([rel, url]) => [rel, Number(url.searchParams.get("page"))]),
      );
      expect(pages).toEqual(e.rels);
      for (const url of Object.values(links)) {
        expect(url.pathname).toBe("/api/v1/exports/");
        expect(url.searchParams.get("limit")).toBe("2");
      }
    }
  });

  it("keeps the filters in the Link URLs, and follows them to the same pages", async () => {
    const res = await get("/api/v1/exports/?status=waiting&limit=2", lister);
    const links = parseLinks(res.headers.get("link"));
    expect(links.next?.searchParams.get("status")).toBe("waiting");
    const next = await get(`${links.next?.pathname}${links.next?.search}`, lister);
    expect(ids(next)).toEqual(
      rows
        .map((r) => r.id)
        .reverse()
        .slice(2, 4),
    );
  });

  it("answers a page beyond the end with [] and 200", async () => {
    const res = await get("/api/v1/exports/?limit=2&page=10", lister);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.headers.get("x-total-count")).toBe("5");
    const links = parseLinks(res.headers.get("link"));
    expect(Number(links.last?.searchParams.get("page"))).toBe(3);
    expect(Number(links.prev?.searchParams.get("page"))).toBe(3);
    expect(links.next).toBeUndefined();
  });

  it("answers an empty list with [] and a single page", async () => {
    const nobody = await h.addUser("nobody");
    const res = await get("/api/v1/exports/", nobody);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.headers.get("x-total-count")).toBe("0");
    const links = parseLinks(res.headers.get("link"));
    expect(Object.keys(links).sort()).toEqual(["first", "last"]);
    expect(links.last?.searchParams.get("page")).toBe("1");
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=-1", "limit"],
    ["limit=abc", "limit"],
    ["limit=1.5", "limit"],
    ["page=0", "page"],
    ["page=x", "page"],
  ])("refuses %s with 400 naming the parameter", async (query, param) => {
    const res = await get(`/api/v1/exports/?${query}`, lister);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ [param]: [POSITIVE] });
  });

  describe("limit default and cap", () => {
    let bulk: TestUser;
    beforeAll(async () => {
      bulk = await h.addUser("bulk");
      const start = Date.UTC(2024, 0, 1);
      await h.insertExports(
        bulk,
        Array.from({ length: 1001 }, (_, i) => ({ createdDate: new Date(start + i * 1000) })),
      );
    });

    it("defaults to 100 per page", async () => {
      const res = await get("/api/v1/exports/", bulk);
      expect(items(res)).toHaveLength(100);
      expect(res.headers.get("x-total-count")).toBe("1001");
      const links = parseLinks(res.headers.get("link"));
      expect(links.last?.searchParams.get("page")).toBe("11");
      expect(links.next?.searchParams.get("page")).toBe("2");
      expect(links.next?.searchParams.get("limit")).toBe("100");
    });

    it("caps the limit at 1000", async () => {
      const res = await get("/api/v1/exports/?limit=5000", bulk);
      expect(res.status).toBe(200);
      expect(items(res)).toHaveLength(1000);
      const links = parseLinks(res.headers.get("link"));
      expect(links.next?.searchParams.get("limit")).toBe("1000");
      expect(links.last?.searchParams.get("page")).toBe("2");
      const rest = await get("/api/v1/exports/?limit=1000&page=2", bulk);
      expect(items(rest)).toHaveLength(1);
      expect(new Set([...ids(res), ...ids(rest)]).size).toBe(1001);
    });
  });

  it("shows a superuser everyone's exports", async () => {
    const mine = await h.insertExport(h.alice);
    const theirs = await h.insertExport(h.bob);
    const res = await get("/api/v1/exports/?limit=1000", h.root);
    expect(ids(res)).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    expect(Number(res.headers.get("x-total-count"))).toBe(await h.countExports());
    const alices = await get("/api/v1/exports/?limit=1000", h.alice);
    expect(ids(alices)).toContain(mine.id);
    expect(ids(alices)).not.toContain(theirs.id);
    expect(items(alices).every((e) => e.requested_by === h.alice.id)).toBe(true);
  });
});

describe("status filter (SPEC §2.2)", () => {
  let owner: TestUser;
  const byStatus = new Map<ExportStatus, string>();

  beforeAll(async () => {
    owner = await h.addUser("statuses");
    const inserted = await h.insertExports(
      owner,
      ALL_STATUSES.map((status) => ({ status })),
    );
    for (const r of inserted) byStatus.set(r.status, r.id);
  });

  it.each(ALL_STATUSES)("status=%s lists the exports in that state", async (status) => {
    const res = await get(`/api/v1/exports/?status=${status}`, owner);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([byStatus.get(status)]);
    expect(items(res)[0]?.status).toBe(status);
    expect(res.headers.get("x-total-count")).toBe("1");
  });

  it("pending stands for the not-yet-finished states", async () => {
    const res = await get("/api/v1/exports/?status=pending", owner);
    expect(res.status).toBe(200);
    expect(
      items(res)
        .map((e) => e.status)
        .sort(),
    ).toEqual(["preparing_file_creation", "processing", "waiting", "waiting_next_page"].sort());
  });

  it("status__in takes several values (and pending inside them)", async () => {
    const res = await get("/api/v1/exports/?status__in=completed,failed", owner);
    expect(
      items(res)
        .map((e) => e.status)
        .sort(),
    ).toEqual(["completed", "failed"]);
    const res2 = await get("/api/v1/exports/?status__in=cancelled,pending", owner);
    expect(items(res2)).toHaveLength(5);
  });

  it("an empty status is no filter", async () => {
    const res = await get("/api/v1/exports/?status=", owner);
    expect(items(res)).toHaveLength(ALL_STATUSES.length);
  });

  it.each(["bogus", "Pending", "COMPLETED", "xml"])(
    "status=%s is 400 with the exact message",
    async (value) => {
      const res = await get(`/api/v1/exports/?status=${value}`, owner);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(invalidChoice("status", value));
    },
  );

  it("status__in with an invalid value is 400 naming status__in", async () => {
    const res = await get("/api/v1/exports/?status__in=completed,bogus", owner);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(invalidChoice("status__in", "bogus"));
  });

  it("reports every bad parameter at once", async () => {
    const res = await get("/api/v1/exports/?status=bogus&format_type=xml", owner);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body as object).sort()).toEqual(["format_type", "status"].sort());
  });
});

describe("format_type filter (SPEC §2.3)", () => {
  let owner: TestUser;
  const byFormat = new Map<string, string>();

  beforeAll(async () => {
    owner = await h.addUser("formats");
    const inserted = await h.insertExports(owner, [
      { formatType: "csv" },
      { formatType: "xls" },
      { formatType: "json" },
    ]);
    for (const r of inserted) byFormat.set(r.formatType, r.id);
  });

  it.each(["csv", "xls", "json"])("format_type=%s", async (format) => {
    const res = await get(`/api/v1/exports/?format_type=${format}`, owner);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([byFormat.get(format)]);
  });

  it("format_type__in", async () => {
    const res = await get("/api/v1/exports/?format_type__in=csv,json", owner);
    expect(
      items(res)
        .map((e) => e.format_type)
        .sort(),
    ).toEqual(["csv", "json"]);
  });

  it("xml (listed by the given filter enum) is 400 like any invalid choice", async () => {
    const res = await get("/api/v1/exports/?format_type=xml", owner);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(invalidChoice("format_type", "xml"));
    const res2 = await get("/api/v1/exports/?format_type=pdf", owner);
    expect(res2.status).toBe(400);
    expect(res2.body).toEqual(invalidChoice("format_type", "pdf"));
  });
});

describe("created_date lookups (SPEC §2.4) and ordering", () => {
  let owner: TestUser;
  const at: Record<string, string> = {};
  const times = {
    e: "2025-02-28T23:59:59.999Z",
    a: "2025-03-01T09:59:59.999Z",
    b: "2025-03-01T10:00:00.000Z",
    c: "2025-03-01T23:59:59.999Z",
    d: "2025-03-02T00:00:00.000Z",
  };
  const name = (id: string) => Object.keys(at).find((k) => at[k] === id);
  const names = (res: CallResult) => ids(res).map(name).sort().join("");
  const q = (query: string) => get(`/api/v1/exports/?${query}`, owner);

  beforeAll(async () => {
    owner = await h.addUser("dates");
    for (const [k, iso] of Object.entries(times)) {
      at[k] = (await h.insertExport(owner, { createdDate: new Date(iso), actionName: k })).id;
    }
  });

  it("an exact created_date matches that record, in any spelling of the instant", async () => {
    const spellings = [
      "2025-03-01T10:00:00.000Z",
      "2025-03-01T10:00:00Z",
      "2025-03-01T10:00:00.000000Z",
      encodeURIComponent("2025-03-01T10:00:00.000+00:00"),
      encodeURIComponent("2025-03-01T13:00:00+03:00"),
      // an unencoded `+` arrives as a space
      "2025-03-01T13:00:00.000+03:00",
      "2025-03-01T10:00:00",
    ];
    for (const s of spellings) {
      const res = await q(`created_date=${s}`);
      expect(res.status, s).toBe(200);
      expect(names(res), s).toBe("b");
    }
  });

  it("round-trips a created_date read from a response (stored at now())", async () => {
    const creator = await h.addUser("roundtrip");
    for (let i = 0; i < 5; i++) {
      await post("/api/v1/exports/", creator, { body: { request_path: `/api/v1/products/?id__gt=${i}` } });
    }
    const list = await get("/api/v1/exports/", creator);
    expect(items(list)).toHaveLength(5);
    for (const e of items(list)) {
      const res = await get(`/api/v1/exports/?created_date=${encodeURIComponent(e.created_date)}`, creator);
      expect(ids(res)).toContain(e.id);
      expect(items(res).every((x) => x.created_date === e.created_date)).toBe(true);
    }
  });

  it.each([
    ["created_date__gt", "cd"],
    ["created_date__gte", "bcd"],
    ["created_date__lt", "ae"],
    ["created_date__lte", "abe"],
  ])("%s", async (param, expected) => {
    expect(names(await q(`${param}=${times.b}`))).toBe(expected);
  });

  it.each([
    ["created_date__date", "abc"],
    ["created_date__date__gt", "d"],
    ["created_date__date__gte", "abcd"],
    ["created_date__date__lt", "e"],
    ["created_date__date__lte", "abce"],
  ])("%s (calendar days in UTC)", async (param, expected) => {
    expect(names(await q(`${param}=2025-03-01`))).toBe(expected);
  });

  it("combines lookups", async () => {
    expect(names(await q(`created_date__gte=${times.a}&created_date__lt=${times.d}`))).toBe("abc");
  });

  it.each([
    ["created_date", "yesterday", "Enter a valid date/time."],
    ["created_date", "2025-02-30T00:00:00Z", "Enter a valid date/time."],
    ["created_date__gt", "2025-03-01T25:00:00Z", "Enter a valid date/time."],
    ["created_date__lte", "1700000000", "Enter a valid date/time."],
    ["created_date__date", "2025-03-01T10:00:00Z", "Enter a valid date."],
    ["created_date__date__gte", "03/01/2025", "Enter a valid date."],
  ])("%s=%s is 400 naming the parameter", async (param, value, message) => {
    const res = await q(`${param}=${encodeURIComponent(value)}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ [param]: [message] });
  });

  it("ordering=created_date is oldest first, -created_date (the default) newest first", async () => {
    const asc = await q("ordering=created_date");
    expect(ids(asc).map(name).join("")).toBe("eabcd");
    const desc = await q("ordering=-created_date");
    expect(ids(desc).map(name).join("")).toBe("dcbae");
    expect(ids(await q(""))).toEqual(ids(desc));
  });

  it("breaks created_date ties by id, in both orders", async () => {
    const tie = await h.addUser("ties");
    const same = new Date("2025-06-01T00:00:00.000Z");
    const rows = await h.insertExports(tie, [
      { createdDate: same },
      { createdDate: same },
      { createdDate: same },
    ]);
    const sorted = rows.map((r) => r.id).sort();
    const asc = await get("/api/v1/exports/?ordering=created_date", tie);
    expect(ids(asc)).toEqual(sorted);
    const desc = await get("/api/v1/exports/", tie);
    expect(ids(desc)).toEqual([...sorted].reverse());
  });

  it("an unknown ordering is 400", async () => {
    const res = await q("ordering=id");
    expect(res.status).toBe(400);
    expect(res.body).toEqual(invalidChoice("ordering", "id"));
  });
});

describe("retrieve (SPEC §2.1, §2.8)", () => {
  let mine: ExportDto;

  beforeAll(async () => {
    mine = (
      await post("/api/v1/exports/", h.alice, {
        body: { request_path: "/api/v1/products/", action_name: "mine" },
      })
    ).body as ExportDto;
  });

  it("answers the owner with the record (as the list shows it)", async () => {
    const res = await get(`/api/v1/exports/${mine.id}/`, h.alice);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(mine);
    const list = await get("/api/v1/exports/?limit=1000", h.alice);
    expect(items(list).find((e) => e.id === mine.id)).toEqual(res.body);
  });

  it("answers the same without the trailing slash", async () => {
    const res = await get(`/api/v1/exports/${mine.id}`, h.alice);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(mine);
  });

  it("accepts the id in upper case", async () => {
    const res = await get(`/api/v1/exports/${mine.id.toUpperCase()}/`, h.alice);
    expect(res.status).toBe(200);
    expect((res.body as ExportDto).id).toBe(mine.id);
  });

  it("hides another user's export behind 404", async () => {
    const res = await get(`/api/v1/exports/${mine.id}/`, h.bob);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it("shows a superuser every export", async () => {
    const res = await get(`/api/v1/exports/${mine.id}/`, h.root);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(mine);
  });

  it.each([
    "123",
    "abc",
    "0",
    "-1",
    "1e3",
    MISSING_UUID,
    `${MISSING_UUID.slice(0, -1)}g`,
    `${MISSING_UUID}0`,
    "null",
    "%27%20OR%201%3D1--",
    "x".repeat(500),
  ])("answers 404 {detail: Not found.} for id %s", async (id) => {
    const res = await get(`/api/v1/exports/${id}/`, h.root);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });
});

describe("set_cancel (SPEC §2.9)", () => {
  const cancel = (id: string, user: TestUser | null) => post(`/api/v1/exports/${id}/set_cancel/`, user);

  it.each(["own", "missing", "abc", "123"])(
    "refuses a regular user with 403 (%s id), changing nothing",
    async (kind) => {
      const row = await h.insertExport(h.alice, { status: "processing" });
      const id = kind === "own" ? row.id : kind === "missing" ? MISSING_UUID : kind;
      for (const user of [h.alice, h.bob]) {
        const res = await cancel(id, user);
        expect(res.status).toBe(403);
        expect(res.body).toEqual(FORBIDDEN);
      }
      expect(await h.findExport(row.id)).toEqual(row);
    },
  );

  it.each(["waiting", "waiting_next_page", "processing", "preparing_file_creation"] as const)(
    "cancels an export that is %s",
    async (status) => {
      const row = await h.insertExport(h.alice, {
        status,
        uploadedParts: ["parts/1.csv", "parts/2.csv"],
        page: 3,
        collectedCount: 200,
        createdDate: new Date("2025-01-01T00:00:00Z"),
        modifiedDate: new Date("2025-01-01T00:00:00Z"),
      });
      const res = await cancel(row.id, h.root);
      expect(res.status).toBe(200);
      const body = res.body as ExportDto;
      expect(body.id).toBe(row.id);
      expect(body.status).toBe("cancelled");
      expect(body.uploaded_parts).toEqual([]);
      expect(body.requested_by).toBe(h.alice.id);
      expect(body.page).toBe(3);
      expect(body.collected_count).toBe(200);
      expect(Date.parse(body.modified_date)).toBeGreaterThan(Date.parse("2025-01-01T00:00:00Z"));
      const stored = await h.findExport(row.id);
      expect(stored?.status).toBe("cancelled");
      expect(stored?.uploadedParts).toEqual([]);
      // The owner sees it cancelled too, exactly as set_cancel answered.
      expect((await get(`/api/v1/exports/${row.id}/`, h.alice)).body).toEqual(body);
    },
  );

  it("answers a cancelled export with 200 again, changing nothing (idempotent)", async () => {
    const row = await h.insertExport(h.bob, { status: "waiting" });
    const first = await cancel(row.id, h.root);
    expect(first.status).toBe(200);
    const stored = await h.findExport(row.id);
    const second = await cancel(row.id, h.root);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await h.findExport(row.id)).toEqual(stored);
    // without the trailing slash too
    const third = await post(`/api/v1/exports/${row.id}/set_cancel`, h.root);
    expect(third.status).toBe(200);
    expect(third.body).toEqual(first.body);
  });

  it.each(["completed", "failed"] as const)(
    "refuses a %s export with 409, changing nothing",
    async (status) => {
      const row = await h.insertExport(h.alice, {
        status,
        resultFile: status === "completed" ? "/api/v1/exports/x/download/" : null,
        errorMessage: status === "failed" ? "boom" : null,
        uploadedParts: ["parts/1.csv"],
      });
      const res = await cancel(row.id, h.root);
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ detail: `Export is already ${status}.` });
      expect(await h.findExport(row.id)).toEqual(row);
    },
  );

  it.each(["abc", "123", MISSING_UUID])("answers a superuser 404 for id %s", async (id) => {
    const res = await cancel(id, h.root);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });
});

describe("authentication (SPEC §2.7)", () => {
  let someId: string;
  beforeAll(async () => {
    someId = (await h.insertExport(h.alice)).id;
  });

  const requests = () =>
    [
      ["GET", "/api/v1/exports/"],
      ["GET", `/api/v1/exports/${someId}/`],
      ["GET", "/api/v1/exports/abc/"],
      ["POST", `/api/v1/exports/${someId}/set_cancel/`],
      ["POST", "/api/v1/exports/abc/set_cancel/"],
      ["POST", "/api/v1/exports/"],
      ["GET", "/api/v1/products/"],
    ] as const;

  const cases: [string, Record<string, string>, { detail: string }][] = [
    ["no header", {}, NOT_PROVIDED],
    ["an unknown key", { Authorization: `Token ${"0".repeat(40)}` }, INVALID_TOKEN],
    ["a malformed key", { Authorization: "Token not-a-key" }, INVALID_TOKEN],
    ["Token alone", { Authorization: "Token" }, { detail: "Invalid token header. No credentials provided." }],
    [
      "Token a b",
      { Authorization: "Token a b" },
      { detail: "Invalid token header. Token string should not contain spaces." },
    ],
    ["Bearer x", { Authorization: "Bearer x" }, NOT_PROVIDED],
    [
      "Basic credentials",
      { Authorization: `Basic ${Buffer.from("alice:x").toString("base64")}` },
      NOT_PROVIDED,
    ],
  ];

  it.each(cases)("%s: 401 with WWW-Authenticate: Token on every operation", async (_label, headers, body) => {
    for (const [method, path] of requests()) {
      const res = await api(method, path, {
        headers,
        ...(method === "POST" && path === "/api/v1/exports/"
          ? { body: { request_path: "/api/v1/products/" } }
          : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body, `${method} ${path}`).toEqual(body);
      expect(res.headers.get("www-authenticate"), `${method} ${path}`).toBe("Token");
    }
  });

  it("reads the scheme case-insensitively, as DRF does", async () => {
    const res = await api("GET", "/api/v1/exports/", {
      headers: { Authorization: `token ${h.alice.token}` },
    });
    expect(res.status).toBe(200);
  });

  it("creates nothing for an unauthenticated create", async () => {
    const before = await h.countExports();
    await api("POST", "/api/v1/exports/", { body: { request_path: "/api/v1/products/" } });
    expect(await h.countExports()).toBe(before);
  });
});

describe("create (SPEC §3)", () => {
  let creator: TestUser;
  let rejected: TestUser;

  beforeAll(async () => {
    creator = await h.addUser("creator");
    rejected = await h.addUser("rejected");
  });

  const create = (body: unknown, user: TestUser = rejected) => post("/api/v1/exports/", user, { body });

  it("answers 201 with the record and its defaults; the caller owns it", async () => {
    const res = await create({ request_path: "/api/v1/products/?is_active=true" }, creator);
    expect(res.status).toBe(201);
    const e = res.body as ExportDto;
    expect(e).toMatchObject({
      action_name: "export_products",
      collected_count: 0,
      error_message: null,
      fail_count: 0,
      filter_file: null,
      format_type: "csv",
      language: "en",
      last_instance_id: 0,
      page: 1,
      request_fields: [],
      request_path: "/api/v1/products/?is_active=true",
      requested_by: creator.id,
      result_file: null,
      total_count: 0,
      status: "waiting",
      uploaded_parts: [],
      viewset: "ProductViewSet",
    });
    expect(Math.abs(Date.parse(e.created_date) - Date.now())).toBeLessThan(60_000);
    expect((await get(`/api/v1/exports/${e.id}/`, creator)).body).toEqual(e);
    expect(ids(await get("/api/v1/exports/", creator))).toContain(e.id);
  });

  it("keeps the given fields, in order, format, language and action name", async () => {
    const res = await create(
      {
        request_path: "/api/v1/products/?currency__in=USD,EUR&price__gt=10&limit=5&ordering=-id",
        request_fields: ["sku", "name", "price", "id"],
        format_type: "xls",
        language: "tr",
        action_name: "nightly",
      },
      creator,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      request_fields: ["sku", "name", "price", "id"],
      format_type: "xls",
      language: "tr",
      action_name: "nightly",
      request_path: "/api/v1/products/?currency__in=USD,EUR&price__gt=10&limit=5&ordering=-id",
    });
  });

  it("ignores read-only fields in the body: the owner is the caller, the state is the initial one", async () => {
    const res = await create(
      {
        request_path: "/api/v1/products/",
        id: MISSING_UUID,
        requested_by: h.bob.id,
        status: "completed",
        result_file: "https://evil.example/x.csv",
        collected_count: 5,
        viewset: "OrderViewSet",
      },
      creator,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      requested_by: creator.id,
      status: "waiting",
      result_file: null,
      collected_count: 0,
      viewset: "ProductViewSet",
    });
    expect((res.body as ExportDto).id).not.toBe(MISSING_UUID);
  });

  it("accepts the list path without its trailing slash", async () => {
    const res = await create({ request_path: "/api/v1/products", format_type: "json" }, creator);
    expect(res.status).toBe(201);
    expect((res.body as ExportDto).viewset).toBe("ProductViewSet");
  });

  const FIELDS = "id, sku, name, price, currency, stock, is_active, attributes, created_date, modified_date";
  const invalidBodies: [string, unknown, Record<string, string[]>][] = [
    ["a missing request_path", {}, { request_path: ["This field is required."] }],
    ["a blank request_path", { request_path: "" }, { request_path: ["This field may not be blank."] }],
    [
      "an unknown resource path",
      { request_path: "/api/v1/customers/" },
      {
        request_path: [
          'Unknown resource path "/api/v1/customers/". Exportable lists: /api/v1/products/, /api/v1/orders/.',
        ],
      },
    ],
    [
      "a URL",
      { request_path: "https://evil.example/api/v1/products/" },
      {
        request_path: [
          "Enter the API path of an exportable list (/api/v1/products/, /api/v1/orders/), not a URL.",
        ],
      },
    ],
    [
      "a protocol-relative URL",
      { request_path: "//evil.example/api/v1/products/" },
      {
        request_path: [
          "Enter the API path of an exportable list (/api/v1/products/, /api/v1/orders/), not a URL.",
        ],
      },
    ],
    [
      "a dot-dot path",
      { request_path: "/api/v1/products/../exports/" },
      {
        request_path: [
          "Enter the API path of an exportable list (/api/v1/products/, /api/v1/orders/), not a URL.",
        ],
      },
    ],
    [
      "a bad filter value",
      { request_path: "/api/v1/products/?price__gt=abc" },
      { request_path: ["price__gt: Enter a number."] },
    ],
    [
      "an unknown filter",
      { request_path: "/api/v1/products/?colour=red" },
      { request_path: ['Unknown filter "colour".'] },
    ],
    [
      "an unknown field",
      { request_path: "/api/v1/products/", request_fields: ["sku", "nope"] },
      { request_fields: [`Unknown field "nope". Fields of /api/v1/products/: ${FIELDS}.`] },
    ],
    [
      "a duplicate field",
      { request_path: "/api/v1/products/", request_fields: ["sku", "name", "sku"] },
      { request_fields: ['Field "sku" is requested more than once.'] },
    ],
    [
      "request_fields that is not a list",
      { request_path: "/api/v1/products/", request_fields: "sku" },
      { request_fields: ['Expected a list of items but got type "string".'] },
    ],
    [
      "a bad format",
      { request_path: "/api/v1/products/", format_type: "xml" },
      { format_type: ['"xml" is not a valid choice.'] },
    ],
    [
      "a bad language",
      { request_path: "/api/v1/products/", language: "de" },
      { language: ['"de" is not a valid choice.'] },
    ],
    [
      "several problems at once",
      { request_path: "/api/v1/customers/", format_type: "pdf", language: "xx" },
      {
        request_path: [
          'Unknown resource path "/api/v1/customers/". Exportable lists: /api/v1/products/, /api/v1/orders/.',
        ],
        format_type: ['"pdf" is not a valid choice.'],
        language: ['"xx" is not a valid choice.'],
      },
    ],
    [
      // Issue 12 §3: the fields are checked against the path's resource even when the body has other problems.
      "a bad format and an unknown field (issue 12)",
      { request_path: "/api/v1/products/", request_fields: ["nope"], format_type: "pdf" },
      {
        request_fields: [`Unknown field "nope". Fields of /api/v1/products/: ${FIELDS}.`],
        format_type: ['"pdf" is not a valid choice.'],
      },
    ],
    [
      "a bad language, an unknown and a repeated field, a too long action name",
      {
        request_path: "/api/v1/products/",
        request_fields: ["sku", "nope", "sku"],
        language: "de",
        action_name: "x".repeat(256),
      },
      {
        request_fields: [
          `Unknown field "nope". Fields of /api/v1/products/: ${FIELDS}.`,
          'Field "sku" is requested more than once.',
        ],
        language: ['"de" is not a valid choice.'],
        action_name: ["Ensure this field has no more than 255 characters."],
      },
    ],
    [
      // A field can only be checked against a valid path: the path's error alone stands for both.
      "an unknown path and a field",
      { request_path: "/api/v1/customers/", request_fields: ["nope"], format_type: "pdf" },
      {
        request_path: [
          'Unknown resource path "/api/v1/customers/". Exportable lists: /api/v1/products/, /api/v1/orders/.',
        ],
        format_type: ['"pdf" is not a valid choice.'],
      },
    ],
    [
      "a too long action name",
      { request_path: "/api/v1/products/", action_name: "x".repeat(256) },
      { action_name: ["Ensure this field has no more than 255 characters."] },
    ],
    [
      "a JSON array",
      [{ request_path: "/api/v1/products/" }],
      { non_field_errors: ["Invalid data. Expected a dictionary, but got list."] },
    ],
    ["JSON null", null, { non_field_errors: ["Invalid data. Expected a dictionary, but got null."] }],
    ["a JSON string", "x", { non_field_errors: ["Invalid data. Expected a dictionary, but got string."] }],
  ];

  it.each(invalidBodies)("answers 400 with field errors for %s", async (_label, body, errors) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errors);
  });

  it.each([
    ["truncated JSON", '{"request_path": '],
    ["an empty body", ""],
    ["not JSON at all", "request_path=/api/v1/products/"],
  ])("answers 400 {detail} for %s", async (_label, text) => {
    const res = await post("/api/v1/exports/", rejected, {
      rawBody: text,
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect((res.body as { detail: string }).detail).toMatch(/^JSON parse error - /);
  });

  it("answers 415 for a body that is not JSON", async () => {
    const text = await post("/api/v1/exports/", rejected, {
      rawBody: JSON.stringify({ request_path: "/api/v1/products/" }),
      headers: { "Content-Type": "text/plain" },
    });
    expect(text.status).toBe(415);
    expect(text.body).toEqual({ detail: 'Unsupported media type "text/plain" in request.' });
    const form = await post("/api/v1/exports/", rejected, {
      rawBody: new URLSearchParams({ request_path: "/api/v1/products/" }),
    });
    expect(form.status).toBe(415);
    expect(form.body).toEqual({
      detail: 'Unsupported media type "application/x-www-form-urlencoded" in request.',
    });
    const none = await post("/api/v1/exports/", rejected, {
      rawBody: new TextEncoder().encode(JSON.stringify({ request_path: "/api/v1/products/" })),
    });
    expect(none.status).toBe(415);
  });

  it("accepts application/json with a charset", async () => {
    const res = await post("/api/v1/exports/", creator, {
      rawBody: JSON.stringify({ request_path: "/api/v1/products/", action_name: "charset" }),
      headers: { "Content-Type": "application/json; charset=utf-8" },
    });
    expect(res.status).toBe(201);
  });

  const LIMIT = 1024 * 1024;
  const padded = (size: number) => {
    const json = JSON.stringify({ request_path: "/api/v1/products/", action_name: "padded" });
    return json + " ".repeat(size - json.length);
  };

  it("accepts a body of exactly 1 MB", async () => {
    const res = await post("/api/v1/exports/", creator, {
      rawBody: padded(LIMIT),
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(201);
  });

  it("answers 413 for a body over 1 MB, declared or streamed", async () => {
    const declared = await post("/api/v1/exports/", rejected, {
      rawBody: padded(LIMIT + 1),
      headers: { "Content-Type": "application/json", "Content-Length": String(LIMIT + 1) },
    });
    expect(declared.status).toBe(413);
    expect(declared.body).toEqual({ detail: `Request body is larger than ${LIMIT} bytes.` });
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"request_path": "/api/v1/products/"}'));
        if (sent > 2 * LIMIT) controller.close();
        else controller.enqueue(chunk);
        sent += chunk.byteLength;
      },
    });
    const streamed = await post("/api/v1/exports/", rejected, {
      rawBody: stream,
      headers: { "Content-Type": "application/json" },
    });
    expect(streamed.status).toBe(413);
    expect(streamed.body).toEqual({ detail: `Request body is larger than ${LIMIT} bytes.` });
    // The reader stopped early instead of buffering the whole stream.
    expect(sent).toBeLessThan(2 * LIMIT);
  });

  it("stored nothing for any refused request", async () => {
    expect(await h.countExports(rejected)).toBe(0);
    expect(items(await get("/api/v1/exports/", rejected))).toEqual([]);
  });
});

describe("products list", () => {
  type Product = Record<string, unknown> & {
    id: number;
    price: string;
    currency: string;
    is_active: boolean;
  };
  let all: Product[];
  const list = (query: string, user: TestUser | null = h.alice) => get(`/api/v1/products/?${query}`, user);
  const productIds = (res: CallResult) => (res.body as Product[]).map((p) => p.id);
  const expectIds = (filter: (p: Product) => boolean) => all.filter(filter).map((p) => p.id);

  beforeAll(async () => {
    await seedProducts(h.db, 30);
    all = (await list("limit=1000")).body as Product[];
  });

  it("lists every product in id order with the resource's fields", async () => {
    expect(all).toHaveLength(30);
    expect(all.map((p) => p.id)).toEqual([...all.map((p) => p.id)].sort((a, b) => a - b));
    expect(Object.keys(all[0] ?? {})).toEqual([
      "id",
      "sku",
      "name",
      "price",
      "currency",
      "stock",
      "is_active",
      "attributes",
      "created_date",
      "modified_date",
    ]);
    expect(all[0]).toMatchObject({ sku: "SKU-00000001", created_date: "2025-01-01T00:01:00.000Z" });
    expect(typeof all[0]?.price).toBe("string");
  });

  it.each<[string, (p: Product) => boolean]>([
    ["is_active=false", (p) => !p.is_active],
    ["is_active=true", (p) => p.is_active],
    ["currency=USD", (p) => p.currency === "USD"],
    ["currency__in=USD,EUR", (p) => p.currency === "USD" || p.currency === "EUR"],
    ["price__gt=500", (p) => Number(p.price) > 500],
    ["price__lte=250.5", (p) => Number(p.price) <= 250.5],
    ["sku=SKU-00000003", (p) => p.sku === "SKU-00000003"],
    ["name__icontains=MUG", (p) => String(p.name).toLowerCase().includes("mug")],
    ["id__in=1,2,3,999", (p) => [1, 2, 3].includes(p.id)],
    ["stock__gte=100&is_active=true", (p) => Number(p.stock) >= 100 && p.is_active],
    ["created_date__date=2025-01-01", () => true],
    ["created_date__gt=2025-01-01T00:10:00Z", (p) => p.id > 10],
  ])("filters %s", async (query, filter) => {
    const res = await list(query);
    expect(res.status).toBe(200);
    const expected = expectIds(filter);
    expect(productIds(res)).toEqual(expected);
    expect(res.headers.get("x-total-count")).toBe(String(expected.length));
  });

  it("orders by -id on request", async () => {
    const res = await list("ordering=-id&limit=5");
    expect(productIds(res)).toEqual(
      all
        .map((p) => p.id)
        .reverse()
        .slice(0, 5),
    );
  });

  it.each([
    ["colour=red", { colour: ["Unknown filter."] }],
    ["currency__icontains=US", { currency__icontains: ["Unknown filter."] }],
    ["attributes=x", { attributes: ["Unknown filter."] }],
    ["price__gt=abc", { price__gt: ["Enter a number."] }],
    ["stock=1.5", { stock: ["Enter a whole number."] }],
    ["is_active=maybe", { is_active: ["Select a valid choice. Use true or false."] }],
    ["ordering=name", { ordering: ["Select a valid choice. name is not one of the available choices."] }],
    ["limit=0", { limit: [POSITIVE] }],
  ])("answers 400 for %s", async (query, body) => {
    const res = await list(query);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(body);
  });

  it("paginates with X-Total-Count and Link, keeping the filters", async () => {
    const active = expectIds((p) => p.is_active);
    const res = await list("is_active=true&limit=7&page=2");
    expect(productIds(res)).toEqual(active.slice(7, 14));
    expect(res.headers.get("x-total-count")).toBe(String(active.length));
    const links = parseLinks(res.headers.get("link"));
    const lastPage = Math.ceil(active.length / 7);
    expect(
      Object.fromEntries(Object.entries(links).map(([rel, u]) => [rel, Number(u.searchParams.get("page"))])),
    ).toEqual({ first: 1, prev: 1, next: 3, last: lastPage });
    for (const u of Object.values(links)) {
      expect(u.pathname).toBe("/api/v1/products/");
      expect(u.searchParams.get("is_active")).toBe("true");
      expect(u.searchParams.get("limit")).toBe("7");
    }
  });

  it("requires authentication", async () => {
    const res = await list("", null);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(NOT_PROVIDED);
  });
});

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

describe("other paths and methods", () => {
  it.each([
    ["GET", "/api/v1/nothing/"],
    ["GET", "/api/v2/exports/"],
    ["POST", "/api/v1/customers/"],
    ["DELETE", "/api/whatever"],
  ])("%s %s → 404 JSON", async (method, path) => {
    const res = await api(method, path, { token: h.root.token });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it("DELETE on an export → 405 JSON with Allow, and the export stays", async () => {
    const row = await h.insertExport(h.alice);
    const res = await api("DELETE", `/api/v1/exports/${row.id}/`, { token: h.root.token });
    expect(res.status).toBe(405);
    expect(res.body).toEqual({ detail: 'Method "DELETE" not allowed.' });
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(await h.findExport(row.id)).toEqual(row);
  });

  it.each([
    ["PUT", "/api/v1/exports/", "GET, HEAD, POST, OPTIONS"],
    ["PATCH", "/api/v1/exports/", "GET, HEAD, POST, OPTIONS"],
    ["DELETE", "/api/v1/exports/", "GET, HEAD, POST, OPTIONS"],
    ["PUT", `/api/v1/exports/${MISSING_UUID}/`, "GET, HEAD, OPTIONS"],
    ["POST", `/api/v1/exports/${MISSING_UUID}/`, "GET, HEAD, OPTIONS"],
    ["GET", `/api/v1/exports/${MISSING_UUID}/set_cancel/`, "POST, OPTIONS"],
    ["POST", "/api/v1/products/", "GET, HEAD, OPTIONS"],
    ["DELETE", "/api/v1/orders/", "GET, HEAD, OPTIONS"],
  ])("%s %s → 405 with Allow: %s", async (method, path, allow) => {
    const res = await api(method, path, { token: h.root.token, ...(method === "GET" ? {} : { body: {} }) });
    expect(res.status).toBe(405);
    expect(res.body).toEqual({ detail: `Method "${method}" not allowed.` });
    expect(res.headers.get("allow")).toBe(allow);
  });

  it("answers 503 JSON with Retry-After while the database is away", async () => {
    const holder = globalThis as { __exportsDatabase?: Database };
    const saved = holder.__exportsDatabase;
    const down = createDatabase("postgres://postgres@127.0.0.1:1/nothing", { max: 1 });
    holder.__exportsDatabase = down;
    try {
      for (const [method, path] of [
        ["GET", "/api/v1/exports/"],
        ["GET", `/api/v1/exports/${MISSING_UUID}/`],
        ["POST", `/api/v1/exports/${MISSING_UUID}/set_cancel/`],
      ] as const) {
        const res = await api(method, path, { token: h.root.token });
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ detail: "The database is unavailable. Try again in a moment." });
        expect(res.headers.get("retry-after")).toBe("5");
      }
    } finally {
      holder.__exportsDatabase = saved;
      await down.close();
    }
    expect((await get("/api/v1/exports/", h.root)).status).toBe(200);
  });

  it("every listed record of every test so far validates (a final sweep as the superuser)", async () => {
    const res = await get("/api/v1/exports/?limit=1000", h.root);
    expect(res.status).toBe(200);
    for (const e of items(res)) assertExportRecord(e);
  });
});
