import { WORKER_MALLOC_ENV, WORKER_NODE_ARGS } from "@exports/core/node";
import { type Child, RssSampler, startProcess, WORKER_DIR } from "./processes";

export interface BenchWorker {
  process: Child;
  rss: RssSampler;
  stop(): Promise<void>;
}

/**
 * glibc's malloc setting, as the launcher starts the worker with it (core's process-env.ts), unless the bench's
 * own environment sets it; BENCH_WORKER_MALLOC=dynamic leaves glibc's default (to compare the two).
 */
function workerMalloc(): Record<string, string | undefined> {
  if (globalThis.process.env.BENCH_WORKER_MALLOC === "dynamic")
    return Object.fromEntries(Object.keys(WORKER_MALLOC_ENV).map((k) => [k, undefined]));
  return Object.fromEntries(
    Object.entries(WORKER_MALLOC_ENV).map(([k, v]) => [k, globalThis.process.env[k] ?? v]),
  );
}

/**
 * A real worker process (`pnpm worker`: node dist/main.mjs, the bundle `pnpm bench` builds first) on the bench
 * database, its RSS sampled.
 * A variable set to undefined is removed from the worker's environment.
 * BENCH_WORKER_NODE_ARGS adds node options (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the worker).
 * The worker gets its V8 options as the launcher gives them (core's process-env.ts); BENCH_WORKER_V8=default
 * leaves it out (to compare the two).
 */
export async function startWorker(env: Record<string, string | undefined>): Promise<BenchWorker> {
  const v8 = globalThis.process.env.BENCH_WORKER_V8 === "default" ? [] : WORKER_NODE_ARGS;
  const extra = (globalThis.process.env.BENCH_WORKER_NODE_ARGS ?? "").split(/\s+/).filter((a) => a !== "");
  const nodeArgs = [...v8, ...extra];
  const process = await startProcess("worker", globalThis.process.execPath, [...nodeArgs, "dist/main.mjs"], {
    cwd: WORKER_DIR,
    env: { LOG_LEVEL: "info", WORKER_POLL_MS: "2000", ...workerMalloc(), ...env },
    ready: /ready/,
  });
  const pid = process.child.pid;
  if (!pid) throw new Error("worker has no pid");
  const rss = new RssSampler(pid, 50).start();
  return {
    process,
    rss,
    async stop() {
      rss.stop();
      await process.stop();
    },
  };
}
