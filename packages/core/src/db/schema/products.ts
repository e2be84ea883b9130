import { boolean, char, integer, jsonb, numeric, pgTable, serial, text, varchar } from "drizzle-orm/pg-core";
import { createdDate, modifiedDate } from "./columns";

export const products = pgTable("products", {
  id: serial("id").primaryKey(),
  sku: varchar("sku", { length: 64 }).notNull().unique(),
  name: text("name").notNull(),
  price: numeric("price", { precision: 12, scale: 2 }).notNull(),
  currency: char("currency", { length: 3 }).notNull().default("TRY"),
  stock: integer("stock").notNull().default(0),
  isActive: boolean("is_active").notNull().default(true),
  attributes: jsonb("attributes").notNull().default({}),
  createdDate: createdDate(),
  modifiedDate: modifiedDate(),
});
