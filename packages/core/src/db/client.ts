import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema";

/** `$client`: the pool, for statements run without the ORM (statement.ts). */
export type Db = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export interface Database {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  max?: number;
  /** application_name shown in pg_stat_activity. */
  name?: string;
}

/** One pool per process. Services receive `db` and never open connections themselves. */
export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.name ?? "exports",
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (server restart) must not crash the process: the pool drops it
  // and the next query opens a new one.
  pool.on("error", (err) => {
    console.error(`[db] idle connection error: ${err.message}`);
  });
  // A checked-out client whose connection dies (inside a transaction, during a COPY) emits 'error' with no
  // pool listener: unheard, it would crash the process. Its statement fails anyway; the pool discards it.
  pool.on("connect", (client) => {
    client.on("error", (err) => {
      console.error(`[db] connection error: ${err.message}`);
    });
  });
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}

/** A transaction handle: services that may run inside a caller's transaction accept either. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Executor = Db | Tx;
