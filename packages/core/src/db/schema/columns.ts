import { timestamp } from "drizzle-orm/pg-core";

/**
 * Timestamps are kept to the millisecond: the API prints them as ISO 8601 with milliseconds, so a value
 * read from a response can be fed back into an exact `created_date=` filter and match.
 */
export const createdDate = () =>
  timestamp("created_date", { withTimezone: true, precision: 3 }).notNull().defaultNow();
export const modifiedDate = () =>
  timestamp("modified_date", { withTimezone: true, precision: 3 })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());
