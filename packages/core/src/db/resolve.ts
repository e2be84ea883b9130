import type { Env } from "../env";
import { type EmbeddedServer, ensureEmbeddedPostgres } from "./embedded";

/**
 * The database a process should use: DATABASE_URL when set, else the embedded PostgreSQL in DATA_DIR
 * (started here unless an earlier `pnpm start` already runs it).
 */
export async function resolveDatabaseUrl(
  env: Env,
  log: (line: string) => void = () => {},
): Promise<{ url: string; embedded: EmbeddedServer | null }> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: null };
  const embedded = await ensureEmbeddedPostgres({ dataDir: env.DATA_DIR, port: env.EMBEDDED_PG_PORT, log });
  return { url: embedded.url, embedded };
}
