import { describe, expect, it } from "vitest";
import { DEFAULT_LOOKUPS } from "../src/filters/grammar";
import { describeResources } from "../src/resources/describe";
import { RESOURCES } from "../src/resources/registry";

describe("describeResources", () => {
  const described = describeResources();

  it("describes every registered resource, in order, with its path and default fields", () => {
    expect(described.map((r) => r.key)).toEqual(RESOURCES.map((r) => r.key));
    const products = described.find((r) => r.key === "products");
    expect(products).toMatchObject({
      path: "/api/v1/products/",
      viewset: "ProductViewSet",
      defaultFields: ["id", "sku", "name", "price", "currency", "stock", "is_active"],
    });
  });

  it("gives each field its labels and type, and nothing of the database", () => {
    const products = described.find((r) => r.key === "products");
    expect(products?.fields.find((f) => f.name === "sku")).toEqual({
      name: "sku",
      labels: { en: "SKU", tr: "Stok Kodu" },
      type: "text",
    });
    // Plain data: it survives JSON (what tRPC sends) unchanged.
    expect(JSON.parse(JSON.stringify(described))).toEqual(described);
  });

  it("lists the filters with their lookups (declared or the kind's defaults) and choices", () => {
    const products = described.find((r) => r.key === "products");
    const orders = described.find((r) => r.key === "orders");
    expect(products?.filters.map((f) => f.name)).not.toContain("attributes");
    expect(products?.filters.find((f) => f.name === "price")).toEqual({
      name: "price",
      kind: "decimal",
      lookups: [...DEFAULT_LOOKUPS.decimal],
      choices: null,
    });
    expect(products?.filters.find((f) => f.name === "currency")?.lookups).toEqual(["exact", "in"]);
    const status = orders?.filters.find((f) => f.name === "status");
    expect(status?.kind).toBe("choice");
    expect(status?.choices).toContain("paid");
  });

  it("returns copies: changing a description does not change the registry", () => {
    const first = describeResources();
    first[0]?.defaultFields.push("nope");
    expect(describeResources()[0]?.defaultFields).not.toContain("nope");
  });
});
