import type { QueryResultRow } from "pg";
import type { Db } from "./client";

/**
 * A named statement run on the pool itself, with no ORM in between: PostgreSQL plans it once per connection,
 * and rows come back as node-postgres builds them (keys as the statement names its columns). For the
 * statements every REST request runs, where drizzle's per-query work (a tracing span, config copies, mapping
 * each row's columns) cost more CPU than reading the rows (BENCHMARKS.md, "REST at the bare server's speed").
 */
export function namedStatement<R extends QueryResultRow>(name: string, text: string) {
  const config = { name, text };
  return async (db: Db, values: unknown[]): Promise<R[]> =>
    (await db.$client.query<R>({ ...config, values })).rows;
}
