// Node-only helpers for processes that own the database's lifecycle (start-up, CLI, tests); the web
// bundle never imports this entry.
export { createDatabaseIfMissing, ensureEmbeddedPostgres } from "./db/embedded";
export { migrateDatabase, migrationsFolder } from "./db/migrate";
export { canConnect } from "./db/reachable";
export { resolveDatabaseUrl } from "./db/resolve";
export { LOCAL_ADMIN_URL, withDatabase } from "./db/urls";
export { DEFAULT_ENGINE_CONFIG, type EngineConfig, engineConfigFromEnv } from "./engine/config";
export { FAULT_POINTS, type FaultPoint, type Faults, faultsFrom } from "./engine/faults";
export { sweepStorage } from "./engine/retention";
export { runOnce } from "./engine/runner";
export { ExportWorker } from "./engine/worker";
// Export emails (issue 16): the worker's email loop.
export * from "./mail";
export {
  loadProcessEnv,
  REPO_ROOT,
  WORKER_MALLOC_ENV,
  WORKER_NODE_ARGS,
  workerProcessEnv,
} from "./process-env";
export { DEMO_DATA, seedDemoDataIfEmpty } from "./seed/demo";
// Demo data (deterministic, generated in PostgreSQL), for the CLI's `seed` and for tests.
export { seedOrders } from "./seed/orders";
export { seedProducts } from "./seed/products";
export {
  bindStorage,
  keys,
  LocalStorage,
  type Storage,
  StorageBindingError,
  storageFromEnv,
  storageLocationOf,
} from "./storage";
export { type FiredSlot, fireNextDue, TemplateScheduler } from "./templates/scheduler";
// Webhook delivery (the worker's loop) and the SSRF address rules.
export * from "./webhooks";
