import { describe, expect, it } from "vitest";
import { DomainError } from "../src/errors";
import { resolveRequestPath } from "../src/resources/request-path";

// Resolution and filter compilation only; the compiled filters run against the database in grammar.test.ts.

function rejection(requestPath: string): string[] {
  try {
    resolveRequestPath(requestPath);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    const e = err as DomainError;
    expect(e.code).toBe("INVALID");
    expect(Object.keys(e.fields ?? {})).toEqual(["request_path"]);
    const messages = e.fields?.request_path ?? [];
    expect(messages.length).toBeGreaterThan(0);
    return messages;
  }
  throw new Error(`expected ${JSON.stringify(requestPath)} to be rejected`);
}

describe("resolveRequestPath: accepted", () => {
  it("resolves the products list with a filter", () => {
    const r = resolveRequestPath("/api/v1/products/?is_active=true");
    expect(r.resource.key).toBe("products");
    expect(r.resource.viewset).toBe("ProductViewSet");
    expect(r.params).toEqual({ is_active: "true" });
    expect(r.filters.filters).toEqual([
      { param: "is_active", field: "is_active", lookup: "exact", value: "true" },
    ]);
    expect(r.filters.where).toBeDefined();
  });

  it("accepts the path without its trailing slash", () => {
    const r = resolveRequestPath("/api/v1/products?is_active=true");
    expect(r.resource.key).toBe("products");
    expect(r.filters.filters).toHaveLength(1);
    expect(resolveRequestPath("/api/v1/products").resource.key).toBe("products");
  });

  it("accepts the bare list with no filter", () => {
    const r = resolveRequestPath("/api/v1/products/");
    expect(r.params).toEqual({});
    expect(r.filters.where).toBeUndefined();
    expect(resolveRequestPath("/api/v1/products/?").filters.where).toBeUndefined();
  });

  it("allows and ignores limit, page and ordering", () => {
    const r = resolveRequestPath("/api/v1/products/?limit=5&page=3&ordering=-id&price__gt=10");
    expect(r.params).toMatchObject({ limit: "5", page: "3", ordering: "-id", price__gt: "10" });
    expect(r.filters.filters.map((f) => f.param)).toEqual(["price__gt"]);
    // Pagination values are not validated either: the export takes every page regardless.
    expect(resolveRequestPath("/api/v1/products/?limit=abc&page=0").filters.filters).toEqual([]);
  });

  it("trims surrounding whitespace", () => {
    expect(resolveRequestPath("  /api/v1/products/?stock__gte=1  ").filters.filters).toHaveLength(1);
  });

  it("decodes the query string, reading an unencoded `+` in an offset as the offset", () => {
    const r = resolveRequestPath(
      "/api/v1/products/?created_date__gt=2026-11-28T10:00:00+03:00&name__icontains=a%25b",
    );
    expect(r.params).toEqual({ created_date__gt: "2026-11-28T10:00:00 03:00", name__icontains: "a%b" });
    expect(r.filters.filters).toHaveLength(2);
  });

  it("accepts several lookups of the grammar together", () => {
    const r = resolveRequestPath(
      "/api/v1/products/?id__in=1,2,3&sku=SKU-1&currency__in=TRY,USD&created_date__date__gte=2026-01-01&price__lte=9.99",
    );
    expect(r.filters.filters.map((f) => `${f.field}:${f.lookup}`)).toEqual([
      "id:in",
      "sku:exact",
      "currency:in",
      "created_date:date__gte",
      "price:lte",
    ]);
  });
});

describe("resolveRequestPath: rejected", () => {
  it.each([
    "http://evil/api/v1/products/",
    "https://example.com/api/v1/products/?is_active=true",
    "//evil/api/v1/products/",
    "//api/v1/products/",
    "api/v1/products/",
    "/api/v1/products/../users/",
    "/api/v1/products/..",
    "/api/v1/products/./",
    "/api/v1/../v1/products/",
    "/api/v1/products%2F",
    "/api/v1/products%2f?is_active=true",
    "/api/v1/%70roducts/",
    "/api\\v1\\products\\",
    "\\\\evil\\share",
    "/api/v1/products/\\",
    "/api/v1/ products/",
    "/api/v1/products/#x",
    "/api/v1/products/?is_active=true#frag",
    "javascript:alert(1)",
  ])("refuses %j", (requestPath) => {
    rejection(requestPath);
  });

  it("explains that a URL is not an API path", () => {
    const [message] = rejection("http://evil/api/v1/products/");
    expect(message).toContain("/api/v1/products/");
    expect(message).toMatch(/not a URL/);
  });

  it("refuses an unknown path, naming the exportable lists", () => {
    expect(rejection("/api/v1/users/")).toEqual([
      'Unknown resource path "/api/v1/users/". Exportable lists: /api/v1/products/, /api/v1/orders/.',
    ]);
    rejection("/api/v1/products/extra/");
    rejection("/api/v1/exports/");
    rejection("/api/v1/products//");
    rejection("/API/V1/PRODUCTS/");
    rejection("/");
  });

  it("refuses a blank path", () => {
    expect(rejection("")).toEqual(["This field may not be blank."]);
    expect(rejection("   ")).toEqual(["This field may not be blank."]);
  });

  it("refuses an overlong path", () => {
    expect(rejection(`/api/v1/products/?name=${"a".repeat(5000)}`)).toEqual([
      "Ensure this field has no more than 4096 characters.",
    ]);
  });

  it("refuses an unknown filter", () => {
    expect(rejection("/api/v1/products/?colour=red")).toEqual(['Unknown filter "colour".']);
    // A known field with a lookup it does not have, and a field that is not filterable.
    expect(rejection("/api/v1/products/?currency__icontains=tr")).toEqual([
      'Unknown filter "currency__icontains".',
    ]);
    expect(rejection("/api/v1/products/?attributes=x")).toEqual(['Unknown filter "attributes".']);
    expect(rejection("/api/v1/products/?is_active__in=true")).toEqual(['Unknown filter "is_active__in".']);
  });

  it("refuses a bad filter value, naming the parameter", () => {
    expect(rejection("/api/v1/products/?price__gt=abc")).toEqual(["price__gt: Enter a number."]);
    expect(rejection("/api/v1/products/?is_active=maybe")).toEqual([
      "is_active: Select a valid choice. Use true or false.",
    ]);
    expect(rejection("/api/v1/products/?created_date__date=2026-02-30")).toEqual([
      "created_date__date: Enter a valid date.",
    ]);
  });

  it("reports every bad parameter together", () => {
    const messages = rejection("/api/v1/products/?colour=red&price__gt=abc&id=x&is_active=true");
    expect(messages).toHaveLength(3);
    expect(messages).toEqual(
      expect.arrayContaining([
        'Unknown filter "colour".',
        "price__gt: Enter a number.",
        "id: Enter a whole number.",
      ]),
    );
  });
});
