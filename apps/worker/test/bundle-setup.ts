import { execFileSync } from "node:child_process";
import path from "node:path";
import { TEST_BUNDLE } from "./processes";

/** Bundles the worker from the current source once per test run (esbuild, about a second). */
export default function setup() {
  execFileSync(process.execPath, ["scripts/build.mjs", TEST_BUNDLE], {
    cwd: path.resolve(import.meta.dirname, ".."),
    stdio: "inherit",
  });
}
