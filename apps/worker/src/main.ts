import { createDatabase, type Database, type Env, EnvError } from "@exports/core";
import {
  bindStorage,
  deliveryConfigFromEnv,
  EmailDeliverer,
  ExportWorker,
  engineConfigFromEnv,
  faultsFrom,
  loadProcessEnv,
  mailConfigFromEnv,
  migrateDatabase,
  resolveDatabaseUrl,
  storageFromEnv,
  TemplateScheduler,
  WebhookDeliverer,
} from "@exports/core/node";

/**
 * `pnpm worker`: one export worker. Run as many as you like against one database; each claims one step at
 * a time. SIGTERM/SIGINT finish (or release) the step in hand, then exit 0.
 */
const log = (line: string) => console.log(line);

let worker: ExportWorker | null = null;
let webhooks: WebhookDeliverer | null = null;
let mail: EmailDeliverer | null = null;
let scheduler: TemplateScheduler | null = null;
let database: Database | null = null;
let stopEmbedded: (() => Promise<void>) | null = null;
let stopping = false;

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log(`[worker] ${signal}: finishing the step in hand`);
  await Promise.all([worker?.stop(), webhooks?.stop(), mail?.stop(), scheduler?.stop()]);
  await database?.close();
  await stopEmbedded?.();
  log("[worker] stopped");
  process.exit(0);
}

// Installed before anything else, so a signal during start-up is handled too.
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

async function main() {
  let env: Env;
  try {
    env = loadProcessEnv();
  } catch (err) {
    if (err instanceof EnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const { url, embedded } = await resolveDatabaseUrl(env, (l) => {
    if (env.LOG_LEVEL === "debug") log(l);
  });
  if (embedded?.owned) stopEmbedded = () => embedded.stop();
  await migrateDatabase(url);
  // Shared by the engine, the webhook loop and the email loop, whose statements are short (no connection is held during an HTTP
  // attempt): no more connections per worker than before, on a server many workers share.
  database = createDatabase(url, { max: 3, name: "exports-worker" });
  // Tests only (EXPORT_FAULT): the worker kills itself at a step boundary.
  const faults = faultsFrom(env.EXPORT_FAULT);
  const storage = storageFromEnv(env, { faults });
  // Before any sweep: a storage of another database is refused, never swept (storage/binding.ts).
  await bindStorage(database.db, storage);
  log(`[worker] storage ${storage.location}: reachable, belongs to this database`);
  worker = new ExportWorker({
    db: database.db,
    pool: database.pool,
    storage,
    faults,
    config: engineConfigFromEnv(env),
    databaseUrl: url,
    pollMs: env.WORKER_POLL_MS,
    sweepMs: env.RETENTION_SWEEP_SECONDS * 1000,
    log,
    // Out of steps for 250 ms: the exports' garbage collected then rather than during the next one (started with
    // --expose-gc, core's process-env.ts; without it, nothing). A full collection of the ~22 MB heap takes 2-13 ms;
    // the delay keeps it from an export created just after the last one finished.
    onIdle: () => (globalThis as { gc?: () => void }).gc?.(),
  });
  if (stopping) return;
  await worker.start();
  // Beside the engine: the outbox's events become webhook deliveries, attempted from this process too.
  webhooks = new WebhookDeliverer({
    db: database.db,
    config: deliveryConfigFromEnv(env),
    pollMs: env.WEBHOOK_POLL_MS,
    log,
  });
  webhooks.start();
  // Export emails, from the same outbox and the same connections; none without SMTP_URL.
  const mailConfig = mailConfigFromEnv(env);
  if (mailConfig) {
    mail = new EmailDeliverer({ db: database.db, config: mailConfig, pollMs: env.WEBHOOK_POLL_MS, log });
    mail.start();
    log(`[worker] export emails on, from ${mailConfig.from}`);
  }
  // Saved exports' schedules: every worker runs the loop; a slot fires once whichever loop sees it first.
  scheduler = new TemplateScheduler({ db: database.db, intervalMs: env.SCHEDULER_POLL_SECONDS * 1000, log });
  scheduler.start();
  log(`[worker] ${worker.id} ready (page size ${env.EXPORT_PAGE_SIZE ?? "from each export, ≤ 250000"})`);
}

main().catch((err) => {
  console.error(`[worker] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
