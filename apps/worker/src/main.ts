import { createDatabase, EnvError, env as readEnv } from "@exports/core";
import {
  engineConfigFromEnv,
  ExportWorker,
  migrateDatabase,
  resolveDatabaseUrl,
  storageFromEnv,
} from "@exports/core/node";

/**
 * `pnpm worker`: one export worker. Run as many as you like against one database; each claims one step at
 * a time. SIGTERM/SIGINT finish (or release) the step in hand, then exit.
 */
async function main() {
  let env: ReturnType<typeof readEnv>;
  try {
    env = readEnv();
  } catch (err) {
    if (err instanceof EnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = (line: string) => console.log(line);
  const { url, embedded } = await resolveDatabaseUrl(env, (l) => {
    if (env.LOG_LEVEL === "debug") log(l);
  });
  await migrateDatabase(url);
  const database = createDatabase(url, { max: 3, name: "exports-worker" });
  const worker = new ExportWorker({
    db: database.db,
    storage: storageFromEnv(env),
    config: engineConfigFromEnv(env),
    databaseUrl: url,
    pollMs: env.WORKER_POLL_MS,
    log,
  });
  await worker.start();
  log(`[worker] ${worker.id} ready (page size ${env.EXPORT_PAGE_SIZE})`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`[worker] ${signal}: finishing the step in hand`);
    await worker.stop();
    await database.close();
    if (embedded?.owned) await embedded.stop();
    log("[worker] stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(`[worker] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
