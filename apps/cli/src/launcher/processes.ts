import path from "node:path";
import { fileURLToPath } from "node:url";
import { WORKER_NODE_ARGS, workerProcessEnv } from "@exports/core/node";
import type { ChildSpec, Supervised } from "./children";
import type { LauncherOptions } from "./options";
import { type WebApp, webProcess } from "./web";

/** apps/worker, next to this package. */
export const WORKER_DIR = fileURLToPath(new URL("../../../worker/", import.meta.url));

/** The bundled worker (apps/worker/scripts/build.mjs). */
const WORKER_BUNDLE = path.join("dist", "main.mjs");

/** What apps/worker's `build` script runs: the bundle (about a second). */
export function workerBuildSpec(env: NodeJS.ProcessEnv): ChildSpec {
  return {
    name: "worker bundle",
    command: process.execPath,
    args: ["scripts/build.mjs"],
    cwd: WORKER_DIR,
    env,
  };
}

/**
 * The long-lived processes `pnpm start` runs, all with the same environment (DATABASE_URL resolved): the web
 * app, and one export worker (restarted if it dies; `--web-only` leaves it out — run `pnpm worker` as many
 * times as you like instead).
 */
export function launcherProcesses(
  options: LauncherOptions,
  web: WebApp,
  env: NodeJS.ProcessEnv,
  port: number,
): Supervised[] {
  const list: Supervised[] = [webProcess(web, env, { dev: options.dev, port })];
  if (!options.webOnly) {
    list.push({
      name: "worker",
      // node itself (no wrapper process), so signals reach the worker directly: bundled in production, from
      // source with tsx as a loader in development.
      command: process.execPath,
      // With the V8 options the worker needs (core's process-env.ts).
      args: [...WORKER_NODE_ARGS, ...(options.dev ? ["--import", "tsx", "src/main.ts"] : [WORKER_BUNDLE])],
      cwd: WORKER_DIR,
      // glibc's malloc as the worker needs it (core's process-env.ts): read by glibc at the start only.
      env: workerProcessEnv(env),
      essential: false,
      restart: true,
    });
  }
  return list;
}
