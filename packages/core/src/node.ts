// Node-only helpers for processes that own the database's lifecycle (start-up, CLI, tests); the web
// bundle never imports this entry.
export { createDatabaseIfMissing, ensureEmbeddedPostgres } from "./db/embedded";
export { migrateDatabase, migrationsFolder } from "./db/migrate";
export { resolveDatabaseUrl } from "./db/resolve";
export { DEFAULT_ENGINE_CONFIG, type EngineConfig, engineConfigFromEnv } from "./engine/config";
export { runOnce } from "./engine/runner";
export { ExportWorker } from "./engine/worker";
export { keys, LocalStorage, type Storage, storageFromEnv } from "./storage";
