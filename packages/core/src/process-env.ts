import path from "node:path";
import { fileURLToPath } from "node:url";
import { env as coreEnv, type Env } from "./env";

/** The repository root (packages/core/src → ../../..). Valid for processes run from source (CLI, worker). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The environment with DATA_DIR and STORAGE_DIR absolute, for the processes that own local state. pnpm runs
 * scripts in each package's folder, so an unset DATA_DIR is `<repo>/.data` (one for every command) and a
 * relative one is taken from where the command was typed (pnpm's INIT_CWD). Throws EnvError for a bad value.
 */
export function loadProcessEnv(): Env {
  const parsed = coreEnv();
  const base = process.env.INIT_CWD || process.cwd();
  const dataDir = process.env.DATA_DIR ? path.resolve(base, parsed.DATA_DIR) : path.join(REPO_ROOT, ".data");
  return {
    ...parsed,
    DATA_DIR: dataDir,
    STORAGE_DIR: parsed.STORAGE_DIR ? path.resolve(base, parsed.STORAGE_DIR) : undefined,
  };
}
