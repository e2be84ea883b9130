import { env, type Storage, storageFromEnv } from "@exports/core";

const holder = globalThis as { __exportsStorage?: Storage };

/** Where parts and results live (STORAGE_DIR, default DATA_DIR/storage); shared with the workers. */
export function getStorage(): Storage {
  holder.__exportsStorage ??= storageFromEnv(env());
  return holder.__exportsStorage;
}
