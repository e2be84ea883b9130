import type { ExportDto } from "@exports/core";
import { beforeAll, describe, expect, it } from "vitest";
import { contractClient, ids, items, itSweepsEveryRecord, MISSING_UUID } from "./contract";
import { endlessBody, fileHarness, type TestUser } from "./harness";

// SPEC §3: creating an export (JSON bodies; multipart is upload-download.test.ts). Case by case through the
// real API door; every answer is checked against the contract.

const h = fileHarness();
const { get, post } = contractClient(h);

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
    const encode = (text: string) => new TextEncoder().encode(text);
    const { stream, pulled } = endlessBody(
      encode('{"request_path": "/api/v1/products/"}'),
      encode(" ".repeat(64 * 1024)),
      2 * LIMIT,
    );
    const streamed = await post("/api/v1/exports/", rejected, {
      rawBody: stream,
      headers: { "Content-Type": "application/json" },
    });
    expect(streamed.status).toBe(413);
    expect(streamed.body).toEqual({ detail: `Request body is larger than ${LIMIT} bytes.` });
    // The reader stopped early instead of buffering the whole stream.
    expect(pulled()).toBeLessThan(2 * LIMIT);
  });

  it("stored nothing for any refused request", async () => {
    expect(await h.countExports(rejected)).toBe(0);
    expect(items(await get("/api/v1/exports/", rejected))).toEqual([]);
  });
});

itSweepsEveryRecord(h);
