import { char, index, integer, numeric, pgTable, serial, varchar } from "drizzle-orm/pg-core";
import { createdDate, modifiedDate } from "./columns";

export const ORDER_STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled", "refunded"] as const;

export const orders = pgTable(
  "orders",
  {
    id: serial("id").primaryKey(),
    number: varchar("number", { length: 32 }).notNull().unique(),
    customerEmail: varchar("customer_email", { length: 254 }).notNull(),
    status: varchar("status", { length: 16, enum: ORDER_STATUSES }).notNull().default("pending"),
    amount: numeric("amount", { precision: 12, scale: 2 }).notNull(),
    currency: char("currency", { length: 3 }).notNull().default("TRY"),
    itemCount: integer("item_count").notNull().default(1),
    createdDate: createdDate(),
    modifiedDate: modifiedDate(),
  },
  (t) => [index("orders_status_idx").on(t.status)],
);
