import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CLI_DIR = fileURLToPath(new URL("..", import.meta.url));

export interface Run {
  code: number | null;
  /** Set when the process was ended by a signal (code is then null). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs one of this package's entry points (src/main.ts, src/start.ts) as a real process, through tsx. */
export function runScript(
  script: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      cwd: CLI_DIR,
      env: { ...process.env, LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** `pnpm cli <args>` against the given database. */
export function runCli(databaseUrl: string, args: string[], env: Record<string, string | undefined> = {}) {
  return runScript("src/main.ts", args, { DATABASE_URL: databaseUrl, ...env });
}

/** The one JSON line a successful command prints. */
export function jsonLine(run: Run): Record<string, unknown> {
  const lines = run.stdout.split("\n").filter((l) => l !== "");
  if (lines.length !== 1) throw new Error(`expected one line on stdout, got ${JSON.stringify(run.stdout)}`);
  return JSON.parse(lines[0] ?? "") as Record<string, unknown>;
}

/** A failure message: one `error: …` line and no stack trace. */
export function expectOneLineError(run: Run): string {
  const lines = run.stderr.split("\n").filter((l) => l !== "");
  if (lines.length !== 1 || !lines[0]?.startsWith("error: ") || /\n\s+at /.test(run.stderr)) {
    throw new Error(`expected one "error: …" line on stderr, got ${JSON.stringify(run.stderr)}`);
  }
  if (run.stdout !== "") throw new Error(`expected nothing on stdout, got ${JSON.stringify(run.stdout)}`);
  return lines[0];
}

/** Asserts the exit code, showing the signal and stderr when it differs. */
export function expectExit(run: Run, code: number): void {
  if (run.code !== code) {
    throw new Error(
      `expected exit code ${code}, got ${run.code ?? `signal ${run.signal}`}; stderr: ${JSON.stringify(run.stderr)}`,
    );
  }
}
