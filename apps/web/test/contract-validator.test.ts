import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  assertContract,
  assertErrorBody,
  contractClient,
  documentedResponse,
  GIVEN_OPERATIONS,
  SEED_OPENAPI_PATH,
  SHARED_OPENAPI_PATH,
  validateExport,
} from "./contract";
import { fileHarness } from "./harness";

// The given contract file, and the validator (./contract.ts) that every contract test checks answers with.

const h = fileHarness();
const { post } = contractClient(h);

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
