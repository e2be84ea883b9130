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

/**
 * What an export worker process is started with besides its configuration (issue 15, "memory flat"): glibc's
 * malloc with a fixed mmap threshold of 1 MiB. Left dynamic, glibc raises the threshold to the size of the first
 * large block freed (a 4 MiB output buffer of a COPY), after which such blocks are carved from the heap, which
 * the socket's 64 KiB reads fragment between them, and the heap keeps the freed room: the worker's peak RSS
 * climbed with every large export (a 1M-row worker 171 MB against 133 MB for 100k rows). Fixed, each 4 MiB
 * buffer is its own mapping, given back to the system when V8 frees it. Why 1 MiB and not glibc's starting
 * 128 KiB: at 128 KiB zlib's 256 KiB output chunks are mapped too, and fresh zeroed pages for each cost an XLSX
 * export ~11-14% more CPU (system time); at 1 MiB only the 4 MiB buffers are, and the CPU stayed within the
 * noise (BENCHMARKS.md, "A flat worker peak"). A value already in the environment wins; glibc reads it once, at
 * the process's start, so it is set where the worker is started (the launcher, `pnpm worker`, the bench), not
 * from inside it. Other C libraries ignore it.
 */
export const WORKER_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: "1048576" };

/**
 * The node options an export worker process is started with (issue 15, "every field at COPY speed" and "memory
 * flat"), read by V8 when the isolate is made (NODE_OPTIONS refuses both):
 *
 * - `--initial-old-space-size=96`: the old generation floored at 96 MB before a full collection. A worker's JS heap
 *   is ~22 MB live; its output buffers and socket reads are ArrayBuffers outside it. Without the floor V8 sized the
 *   old generation's limit from that live size (37-45 MB), and once the young generation had grown (16 MB
 *   semi-spaces) the room left under the limit was less than the young generation: incremental marking began again
 *   as soon as each full collection ended. A worker fell into that ~15 s into a run of large exports and never left:
 *   a full collection every ~100 ms (180-320 in one `BENCH_ONLY=fields` run; 1-2 with the floor), 0.3-0.9 s more
 *   CPU on other threads per 1M-row CSV or JSON export. 64 MB did not stop it; 96, 128 and 256 did.
 * - `--expose-gc`, for the worker's collection when it runs out of steps (apps/worker): with full collections rare,
 *   the garbage of one export waited into the next, and a 1M-row worker's peak RSS grew with the exports it had run
 *   (149-161 MB after fifteen, against 127-129 MB with the collection between them).
 *
 * BENCHMARKS.md, "A full collection every 100 ms".
 */
export const WORKER_NODE_ARGS: readonly string[] = ["--initial-old-space-size=96", "--expose-gc"];

/** `env` with the worker's malloc setting where it is not set (above). */
export function workerProcessEnv<E extends Record<string, string | undefined>>(env: E): E {
  return { ...WORKER_MALLOC_ENV, ...env };
}
