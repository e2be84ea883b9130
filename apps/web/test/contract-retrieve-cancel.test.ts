import type { ExportDto } from "@exports/core";
import { beforeAll, describe, expect, it } from "vitest";
import { contractClient, FORBIDDEN, items, itSweepsEveryRecord, MISSING_UUID, NOT_FOUND } from "./contract";
import { fileHarness, type TestUser } from "./harness";

// SPEC §2.1, 2.8, 2.9: the given retrieve and set_cancel. Case by case through the real API door; every
// answer is checked against the contract.

const h = fileHarness();
const { get, post } = contractClient(h);

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

itSweepsEveryRecord(h);
