import type { Db } from "./client";

/**
 * A prepared statement per database handle, built on first use: drizzle renders the SQL once instead of on
 * every call, and PostgreSQL parses and plans a named statement once per connection. For the queries every
 * API request runs (the token lookup, the retrieve): their building cost more than their execution.
 * Statement names must be unique per statement text across the process (PostgreSQL keys them per
 * connection).
 */
export function preparedPerDb<T>(build: (db: Db) => T): (db: Db) => T {
  const cache = new WeakMap<Db, T>();
  return (db) => {
    let statement = cache.get(db);
    if (statement === undefined) {
      statement = build(db);
      cache.set(db, statement);
    }
    return statement;
  };
}
