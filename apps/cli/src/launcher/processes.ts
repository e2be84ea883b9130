import { fileURLToPath } from "node:url";
import type { Supervised } from "./children";
import type { LauncherOptions } from "./options";
import { type WebApp, webProcess } from "./web";

/** apps/worker, next to this package. */
export const WORKER_DIR = fileURLToPath(new URL("../../../worker/", import.meta.url));

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
      // node itself with tsx as a loader (no wrapper process), so signals reach the worker directly.
      command: process.execPath,
      args: ["--import", "tsx", "src/main.ts"],
      cwd: WORKER_DIR,
      env,
      essential: false,
      restart: true,
    });
  }
  return list;
}
