import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { WORKER_NODE_ARGS, workerProcessEnv } from "@exports/core/node";

const root = path.resolve(import.meta.dirname, "..");
/** The worker bundle the tests run (built by test/bundle-setup.ts). */
export const TEST_BUNDLE = "dist-test/main.mjs";

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts a real worker process, bundled as `pnpm worker` runs it (the bundle test/bundle-setup.ts built from the
 * current source for this run: a start costs ~0.25 s of CPU instead of ~1.4 s with tsx's loader, and the kill
 * tests start dozens), and resolves once it says it is ready.
 */
export async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  // node itself, not a wrapper process: signals reach the worker directly.
  const child = spawn(process.execPath, [...WORKER_NODE_ARGS, TEST_BUNDLE], {
    cwd: root,
    // With the malloc and heap settings `pnpm worker` starts it with (core's process-env.ts).
    env: workerProcessEnv({ ...process.env, LOG_LEVEL: "info", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += String(d);
  });
  child.stderr?.on("data", (d) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!/ready/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`worker did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out, exited };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
