import { defineConfig } from "vitest/config";

/** The engine suites that prove the invariant, crash and cancel safety, and retention, run on each backend. */
const ON_BOTH_BACKENDS = [
  "test/engine/invariant.test.ts",
  "test/engine/orders-invariant.test.ts",
  "test/engine/lifecycle.test.ts",
  "test/engine/retention.test.ts",
  "test/engine/ambiguous-commit.test.ts",
  "test/engine/commit-order.test.ts",
  "test/engine/download.test.ts",
  "test/engine/filter-file-export.test.ts",
  "test/engine/retry.test.ts",
  "test/engine/options.test.ts",
];

export default defineConfig({
  test: {
    globalSetup: ["./src/testing/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "local", include: ["test/**/*.test.ts"] } },
      // The same suites on the S3 backend (a bucket of the test s3rver): TEST_STORAGE picks tempStorage()'s kind;
      // a small minimum part has CSV pages of a few KB written as parts of the result's upload (direct mode).
      {
        extends: true,
        test: {
          name: "s3",
          include: ON_BOTH_BACKENDS,
          env: { TEST_STORAGE: "s3", TEST_S3_MIN_PART: "4096" },
        },
      },
    ],
  },
});
