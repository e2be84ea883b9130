/**
 * The web app. Production: `pnpm build` (next build + this file bundled to dist/server.mjs), then
 * `node dist/server.mjs`. Development: `node --import tsx server.ts --dev` (`next dev`'s compiler and hot
 * reload for the pages). Port: PORT (default 3000). See src/server/rest/adapter/.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EnvError, env } from "@exports/core";
import { startWebServer, type WebServer } from "./src/server/rest/adapter/web-server";

const dev = process.argv.includes("--dev");

/** apps/web: this file's folder, or its parent when it runs bundled from dist/. */
function appDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "next.config.ts")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
let web: WebServer | null = null;
let stopping = false;

// Installed first, so a signal during start-up is handled too. In-flight requests finish (at most 10 s),
// then the pool closes.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    setTimeout(() => process.exit(0), 10_000).unref();
    (web?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  });
}

try {
  const port = env().PORT;
  web = await startWebServer({ dev, port, dir: appDir() });
  console.log(`[web] storage ${web.storage}: reachable, belongs to this database`);
  console.log(`[web] ready on http://localhost:${port} (${dev ? "development" : "production"})`);
} catch (err) {
  console.error(`[web] ${err instanceof EnvError || err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
