import type { Db } from "./client";

/**
 * A prepared statement per database handle, built on first use: drizzle renders it once, PostgreSQL plans it
 * once per connection. For the queries every request runs, whose building cost more than their execution.
 * Names must be unique per statement text (PostgreSQL keys them per connection).
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
