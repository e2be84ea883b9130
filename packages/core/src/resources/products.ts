import { products } from "../db/schema";
import { defineResource } from "./define";

export const productsResource = defineResource({
  key: "products",
  path: "/api/v1/products/",
  viewset: "ProductViewSet",
  table: products,
  idColumn: products.id,
  fields: [
    {
      name: "id",
      labels: { en: "ID", tr: "ID" },
      column: products.id,
      type: "integer",
      filter: { kind: "integer" },
    },
    {
      name: "sku",
      labels: { en: "SKU", tr: "Stok Kodu" },
      column: products.sku,
      type: "text",
      filter: { kind: "text" },
    },
    {
      name: "name",
      labels: { en: "Name", tr: "Ad" },
      column: products.name,
      type: "text",
      filter: { kind: "text" },
    },
    {
      name: "price",
      labels: { en: "Price", tr: "Fiyat" },
      column: products.price,
      type: "decimal",
      filter: { kind: "decimal" },
    },
    {
      name: "currency",
      labels: { en: "Currency", tr: "Para Birimi" },
      column: products.currency,
      type: "text",
      filter: { kind: "text", lookups: ["exact", "in"] },
    },
    {
      name: "stock",
      labels: { en: "Stock", tr: "Stok" },
      column: products.stock,
      type: "integer",
      filter: { kind: "integer" },
    },
    {
      name: "is_active",
      labels: { en: "Active", tr: "Aktif" },
      column: products.isActive,
      type: "boolean",
      filter: { kind: "boolean" },
    },
    {
      name: "attributes",
      labels: { en: "Attributes", tr: "Özellikler" },
      column: products.attributes,
      type: "json",
    },
    {
      name: "created_date",
      labels: { en: "Created", tr: "Oluşturulma Tarihi" },
      column: products.createdDate,
      type: "datetime",
      filter: { kind: "datetime" },
    },
    {
      name: "modified_date",
      labels: { en: "Modified", tr: "Güncellenme Tarihi" },
      column: products.modifiedDate,
      type: "datetime",
      filter: { kind: "datetime" },
    },
  ],
  defaultFields: ["id", "sku", "name", "price", "currency", "stock", "is_active"],
  filterFileKeys: ["sku", "id"],
});
