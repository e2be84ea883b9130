import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["../../packages/core/src/testing/global-setup.ts", "test/bundle-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "local", include: ["test/**/*.test.ts"] } },
      // kill -9 at every step and mid-export, on the S3 backend (a bucket of the test s3rver) too.
      {
        extends: true,
        test: {
          name: "s3",
          include: ["test/kill-points-*.test.ts", "test/crash.test.ts"],
          env: { TEST_STORAGE: "s3" },
        },
      },
    ],
  },
});
