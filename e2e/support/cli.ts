import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");

/** The environment the app under test was started with (written by scripts/serve.sh). */
export function appEnv(): Record<string, string> {
  const file = path.resolve(import.meta.dirname, "..", ".state", "env.json");
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
}

/** Runs `pnpm cli …` against the app's database and returns its JSON line. */
export function cli<T = Record<string, unknown>>(...args: string[]): T {
  const out = execFileSync("pnpm", ["cli", ...args], {
    cwd: root,
    env: { ...process.env, ...appEnv() },
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1) ?? "") as T;
}

export interface CreatedUser {
  id: string;
  username: string;
  is_superuser: boolean;
  token: string;
}

let counter = 0;

export function createUser(prefix: string, superuser = false): CreatedUser {
  const username = `${prefix}_${process.pid}_${Date.now()}_${counter++}`;
  return cli<CreatedUser>("users:create", "--username", username, ...(superuser ? ["--superuser"] : []));
}
