import {
  closeExportChangeHub,
  closeExportsChangeFeed,
  createDatabase,
  type Database,
  type Db,
  databaseUrlFromEnv,
  env,
} from "@exports/core";

const holder = globalThis as { __exportsDatabase?: Database };

/** The web process's one pool (kept on globalThis so that every module copy shares it). */
export function getDb(): Db {
  holder.__exportsDatabase ??= createDatabase(databaseUrlFromEnv(env()), {
    max: env().DB_POOL_SIZE,
    name: "exports-web",
  });
  return holder.__exportsDatabase.db;
}

/**
 * Ends the live streams, the change feed (list cache, live hub) and the pool (shutdown); a later getDb() opens
 * a new pool.
 */
export async function closeDb(): Promise<void> {
  const database = holder.__exportsDatabase;
  holder.__exportsDatabase = undefined;
  if (database) {
    closeExportChangeHub(database.db);
    await closeExportsChangeFeed(database.db);
  }
  await database?.close();
}

/** Ends the live dashboard streams (shutdown: their connections would hold the server open). */
export function closeLiveStreams(): void {
  const database = holder.__exportsDatabase;
  if (database) closeExportChangeHub(database.db);
}
