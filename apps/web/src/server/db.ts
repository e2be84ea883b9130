import { createDatabase, type Database, type Db, databaseUrlFromEnv, env } from "@exports/core";

const holder = globalThis as { __exportsDatabase?: Database };

/** The web process's one pool (kept on globalThis so dev-mode reloads do not open new ones). */
export function getDb(): Db {
  holder.__exportsDatabase ??= createDatabase(databaseUrlFromEnv(env()), {
    max: env().DB_POOL_SIZE,
    name: "exports-web",
  });
  return holder.__exportsDatabase.db;
}
