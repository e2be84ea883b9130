import { createDatabase, type Database } from "@exports/core";
import { parseOptions, UsageError } from "./args";
import { commandHelp, findCommand, programHelp, usageLine } from "./commands";
import type { CommandContext } from "./commands/types";
import { type ResolvedDatabase, resolveAndMigrate } from "./database";
import { loadEnv } from "./env";
import { EXIT, log, printJson } from "./output";

/** Resources this process opened and must release before it exits (see main.ts). */
export const opened: { database: Database | null; resolved: ResolvedDatabase | null } = {
  database: null,
  resolved: null,
};

export async function release(): Promise<void> {
  const { database, resolved } = opened;
  opened.database = null;
  opened.resolved = null;
  await database?.close().catch(() => {});
  // Stops the embedded server only if this process started it (a `pnpm start` one keeps running).
  await resolved?.embedded?.stop().catch(() => {});
}

const HELP_FLAGS = new Set(["help", "--help", "-h"]);

/** Runs one CLI invocation and returns its exit code. Errors propagate to the caller, which reports them. */
export async function runCli(argv: string[]): Promise<number> {
  // `pnpm cli -- seed …` passes the separator through.
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const [name, ...rest] = args;
  if (name === undefined) {
    process.stderr.write(programHelp());
    return EXIT.USAGE;
  }
  if (HELP_FLAGS.has(name)) {
    const topic = rest[0] === undefined ? undefined : findCommand(rest[0]);
    if (rest[0] !== undefined && !topic)
      throw new UsageError(`unknown command '${rest[0]}' (try: pnpm cli help)`);
    process.stdout.write(topic ? commandHelp(topic) : programHelp());
    return EXIT.OK;
  }
  const command = findCommand(name);
  if (!command) throw new UsageError(`unknown command '${name}' (try: pnpm cli help)`);

  let execute: (ctx: CommandContext) => Promise<unknown>;
  try {
    const values = parseOptions(`'${name}'`, rest, {
      ...command.options,
      help: { type: "boolean", description: "" },
    });
    if (values.help) {
      process.stdout.write(commandHelp(command));
      return EXIT.OK;
    }
    execute = command.prepare(values);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message} (usage: ${usageLine(command)})`);
    throw err;
  }

  const env = loadEnv();
  const debug = env.LOG_LEVEL === "debug";
  opened.resolved = await resolveAndMigrate(env, { info: log, debug: (line) => debug && log(line) });
  const { url } = opened.resolved;
  const result = await execute({
    env,
    url,
    db() {
      opened.database ??= createDatabase(url, { max: 2, name: `exports-cli ${name}` });
      return opened.database.db;
    },
    log,
  });
  await release();
  await printJson(result);
  return EXIT.OK;
}
