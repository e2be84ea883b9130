import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildSpec, Supervised } from "./children";

/** apps/web, next to this package (apps/cli/src/launcher → ../../../web). */
export const WEB_DIR = fileURLToPath(new URL("../../../web/", import.meta.url));

export class LaunchError extends Error {
  override name = "LaunchError";
}

export interface WebApp {
  dir: string;
  /** The `next` binary installed for apps/web. */
  next: string;
}

const APP_DIRS = ["app", "src/app", "pages", "src/pages"];

/** Finds the Next.js app and its `next` binary, or says clearly what is missing. */
export function locateWebApp(dir: string = WEB_DIR): WebApp {
  const next = path.join(dir, "node_modules", ".bin", "next");
  if (!existsSync(path.join(dir, "package.json"))) throw new LaunchError(`no web app at ${dir}`);
  if (!APP_DIRS.some((d) => existsSync(path.join(dir, d)))) {
    throw new LaunchError(
      `${dir} has no Next.js app yet (none of ${APP_DIRS.map((d) => `${d}/`).join(", ")})`,
    );
  }
  if (!existsSync(next)) throw new LaunchError(`${next} is missing; run \`pnpm install\` first`);
  return { dir, next };
}

/** The bundled web server (apps/web/scripts/build-server.mjs). */
const SERVER_BUNDLE = path.join("dist", "server.mjs");

/** True when `pnpm build` has produced a production build: Next's pages and the bundled server. */
export function hasProductionBuild(web: WebApp): boolean {
  return existsSync(path.join(web.dir, ".next", "BUILD_ID")) && existsSync(path.join(web.dir, SERVER_BUNDLE));
}

/** What apps/web's `build` script runs, in order: Next's build of the pages, then the server's bundle. */
export function buildSpecs(web: WebApp, env: NodeJS.ProcessEnv): ChildSpec[] {
  return [
    { name: "next build", command: web.next, args: ["build"], cwd: web.dir, env },
    {
      name: "server bundle",
      command: process.execPath,
      args: ["scripts/build-server.mjs"],
      cwd: web.dir,
      env,
    },
  ];
}

/**
 * The web app's server (apps/web/server.ts: the API door and Next.js on one port), run by node itself (no
 * wrapper process, so signals reach it directly): bundled (dist/server.mjs) in production, from source with
 * tsx as a loader in development.
 */
export function webProcess(
  web: WebApp,
  env: NodeJS.ProcessEnv,
  options: { dev: boolean; port: number },
): Supervised {
  return {
    name: "web",
    command: process.execPath,
    args: options.dev ? ["--import", "tsx", "server.ts", "--dev"] : [SERVER_BUNDLE],
    cwd: web.dir,
    env: { ...env, PORT: String(options.port) },
    essential: true,
  };
}
