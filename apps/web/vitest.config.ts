import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "~": path.resolve(import.meta.dirname, "src") } },
  test: {
    globalSetup: ["../../packages/core/src/testing/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    // Most files create many exports per user; the per-user limits have their own tests (abuse-limits.test.ts).
    // CORS_ORIGINS: none, whatever the shell says (cors.test.ts sets its own).
    env: { MAX_ACTIVE_EXPORTS_PER_USER: "1000000", MAX_FILTER_FILES_PER_USER: "1000000", CORS_ORIGINS: "" },
    hookTimeout: 60_000,
  },
});
