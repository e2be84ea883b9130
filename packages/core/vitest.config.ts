import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./src/testing/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests create many exports per user; the per-user limits have their own tests (admission.test.ts).
    env: { MAX_ACTIVE_EXPORTS_PER_USER: "1000000", MAX_FILTER_FILES_PER_USER: "1000000" },
  },
});
