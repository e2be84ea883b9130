import { EnvError, isDomainError } from "@exports/core";
import { UsageError } from "./args";

/** Exit codes shared by the CLI and the launcher. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/** Diagnostics go to stderr, so stdout carries nothing but the command's JSON result. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Writes one JSON line to stdout and resolves once it is flushed (the process may exit right after). */
export function printJson(value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(`${JSON.stringify(value)}\n`, (err) => (err ? reject(err) : resolve()));
  });
}

/** The most useful message of an error, on one line. pg's connection failures are AggregateErrors without one. */
export function errorMessage(err: unknown): string {
  if (isDomainError(err)) {
    if (!err.fields) return err.detail;
    return Object.entries(err.fields)
      .map(([field, messages]) =>
        field === "detail" ? messages.join(" ") : `${field}: ${messages.join(" ")}`,
      )
      .join("; ");
  }
  if (err instanceof AggregateError && !err.message && err.errors.length > 0)
    return errorMessage(err.errors[0]);
  // Drizzle wraps the server's error in "Failed query: <the whole SQL> params: …"; the cause is what matters.
  if (err instanceof Error && err.message.startsWith("Failed query:") && err.cause instanceof Error) {
    return `database error: ${errorMessage(err.cause)}`;
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const message = err.message || (typeof code === "string" ? code : err.name);
    return message.replace(/\s*\n\s*/g, " ").trim();
  }
  return String(err);
}

/** Exit code for an error: 2 when the command line is wrong, 1 when the command ran and failed. */
export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError ? EXIT.USAGE : EXIT.FAILURE;
}

/**
 * Reports a failure on stderr, never as a stack trace (unless LOG_LEVEL=debug). An invalid environment keeps
 * its own multi-line message, which names each bad variable.
 */
export function reportError(err: unknown): void {
  if (err instanceof EnvError) log(err.message);
  else log(`error: ${errorMessage(err)}`);
  if (process.env.LOG_LEVEL === "debug" && err instanceof Error && err.stack) log(err.stack);
}

export function signalExitCode(signal: NodeJS.Signals): number {
  const signals: Partial<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return 128 + (signals[signal] ?? 0);
}
