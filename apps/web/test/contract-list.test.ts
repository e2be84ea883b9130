import type { ExportStatus } from "@exports/core";
import { beforeAll, describe, expect, it } from "vitest";
import { contractClient, ids, invalidChoice, items, itSweepsEveryRecord, POSITIVE } from "./contract";
import { ALL_STATUSES, type CallResult, fileHarness, parseLinks, type TestUser } from "./harness";

// SPEC §2.2–2.6: the given list, its filters, ordering and pagination. Case by case through the real API
// door; every answer is checked against the contract.

const h = fileHarness();
const { get, post } = contractClient(h);

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

itSweepsEveryRecord(h);
