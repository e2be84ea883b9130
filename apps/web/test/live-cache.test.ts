import { DEFAULT_EXPORT_OPTIONS, type ExportDto } from "@exports/core/contract";
import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { applyLiveChange, type ExportsKeys } from "~/lib/live-cache";

// How a pushed change lands in the dashboard's query cache (src/lib/live-cache.ts): in place, and a list asks
// again only where the export may enter or leave it.

const keys: ExportsKeys = {
  list: [["exports", "list"]],
  get: [["exports", "get"]],
  getOne: (id) => [["exports", "get"], { input: { id }, type: "query" }],
};
const listKey = (input: Record<string, string>) => [["exports", "list"], { input, type: "query" }];

function record(id: string, patch: Partial<ExportDto> = {}): ExportDto {
  return {
    id,
    action_name: null,
    collected_count: 0,
    error_message: null,
    fail_count: 0,
    filter_file: null,
    format_type: "csv",
    language: "en",
    last_instance_id: 0,
    page: 1,
    request_fields: [],
    request_path: "/api/v1/products/",
    requested_by: "u1",
    result_file: null,
    total_count: 0,
    status: "processing",
    uploaded_parts: [],
    viewset: null,
    created_date: "2026-01-01T00:00:00.000Z",
    modified_date: "2026-01-01T00:00:00.000Z",
    template: null,
    options: DEFAULT_EXPORT_OPTIONS,
    ...patch,
  };
}

function setup() {
  const qc = new QueryClient();
  const plain = listKey({ limit: "20", page: "1" });
  const byStatus = listKey({ status: "processing", limit: "20", page: "1" });
  qc.setQueryData(plain, { items: [record("a"), record("b")], total: 2, page: 1, limit: 20 });
  qc.setQueryData(byStatus, { items: [record("a")], total: 1, page: 1, limit: 20 });
  qc.setQueryData(keys.getOne("a"), record("a"));
  return { qc, plain, byStatus };
}

const stale = (qc: QueryClient, key: readonly unknown[]) => qc.getQueryState(key)?.isInvalidated ?? false;

describe("applyLiveChange", () => {
  it("replaces the record in every list and the detail, asking nothing again", () => {
    const { qc, plain, byStatus } = setup();
    applyLiveChange(qc, keys, { kind: "export", export: record("a", { collected_count: 5 }), isNew: false });
    expect(qc.getQueryData<{ items: ExportDto[] }>(plain)?.items[0]?.collected_count).toBe(5);
    expect(qc.getQueryData<{ items: ExportDto[] }>(byStatus)?.items[0]?.collected_count).toBe(5);
    expect(qc.getQueryData<ExportDto>(keys.getOne("a"))?.collected_count).toBe(5);
    expect(stale(qc, plain) || stale(qc, byStatus)).toBe(false);
    // Kept for a detail page about to open; an older state never replaces a newer one.
    applyLiveChange(qc, keys, { kind: "export", export: record("b", { collected_count: 1 }), isNew: false });
    expect(qc.getQueryData<ExportDto>(keys.getOne("b"))?.collected_count).toBe(1);
    const older = record("a", { collected_count: 1, modified_date: "2025-01-01T00:00:00.000Z" });
    applyLiveChange(qc, keys, { kind: "export", export: older, isNew: false });
    expect(qc.getQueryData<ExportDto>(keys.getOne("a"))?.collected_count).toBe(5);
  });

  it("a new status under a status filter, or a new export, makes that list ask again", () => {
    const { qc, plain, byStatus } = setup();
    applyLiveChange(qc, keys, { kind: "export", export: record("a", { status: "completed" }), isNew: false });
    expect(stale(qc, byStatus)).toBe(true);
    expect(stale(qc, plain)).toBe(false);
    applyLiveChange(qc, keys, { kind: "export", export: record("c", { status: "waiting" }), isNew: true });
    expect(stale(qc, plain)).toBe(true);
  });

  it("resync makes every exports query ask again", () => {
    const { qc, plain } = setup();
    applyLiveChange(qc, keys, { kind: "resync" });
    expect(stale(qc, plain)).toBe(true);
    expect(stale(qc, keys.getOne("a"))).toBe(true);
  });
});
