import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Core's setup: a real PostgreSQL (TEST_DATABASE_URL, DATABASE_URL, 127.0.0.1:5432 or an embedded one) and
    // a migrated template; each test file copies it with createTestDatabase().
    globalSetup: ["../../packages/core/src/testing/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
