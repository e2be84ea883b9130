import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["../../packages/core/src/testing/global-setup.ts", "test/bundle-setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // The chaos test starts 20 exports for one user; the per-user limit has its own tests in core and web.
    env: { MAX_ACTIVE_EXPORTS_PER_USER: "1000000" },
  },
});
