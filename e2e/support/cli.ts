import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");
const stateDir = path.resolve(import.meta.dirname, "..", ".state");

/** The environment the app under test was started with (written by scripts/serve.sh). */
export function appEnv(): Record<string, string> {
  const file = path.join(stateDir, "env.json");
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
}

function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `fn` while holding a lock shared by every Playwright worker process (a directory: mkdir is atomic).
 * Seeding continues numbering from the highest existing SKU/number, so two seeds at once would collide on
 * the unique keys; they take turns instead.
 */
function withLock<T>(name: string, fn: () => T): T {
  const dir = path.join(stateDir, `${name}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      try {
        // A lock left behind by a killed run is stale after five minutes.
        if (Date.now() - statSync(dir).mtimeMs > 300_000) rmSync(dir, { recursive: true, force: true });
      } catch {
        // Released in the meantime.
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the ${name} lock`);
      sleepSync(100);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `pnpm cli …` against the app's database and returns its JSON line. */
export function cli<T = Record<string, unknown>>(...args: string[]): T {
  const run = () =>
    execFileSync("pnpm", ["cli", ...args], {
      cwd: root,
      env: { ...process.env, ...appEnv() },
      encoding: "utf8",
    });
  const out = args[0] === "seed" ? withLock("seed", run) : run();
  return JSON.parse(out.trim().split("\n").at(-1) ?? "") as T;
}

export interface CreatedUser {
  id: string;
  username: string;
  is_superuser: boolean;
  token: string;
  /** For the dashboard's sign-in form. */
  password: string;
}

let counter = 0;

/** A new user with an API token and a password (`pnpm cli users:create --password`). */
export function createUser(prefix: string, superuser = false): CreatedUser {
  const username = `${prefix}_${process.pid}_${Date.now()}_${counter++}`;
  const password = `pw-${randomBytes(12).toString("base64url")}`;
  const user = cli<Omit<CreatedUser, "password">>(
    "users:create",
    "--username",
    username,
    "--password",
    password,
    ...(superuser ? ["--superuser"] : []),
  );
  return { ...user, password };
}
