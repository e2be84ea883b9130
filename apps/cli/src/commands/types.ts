import type { Db, Env } from "@exports/core";
import type { OptionSpecs, OptionValues } from "../args";

export interface CommandContext {
  env: Env;
  /** The migrated database's connection string. */
  url: string;
  /** A connection pool, opened on first use and closed when the command ends. */
  db(): Db;
  /** Progress and notes, on stderr. */
  log(line: string): void;
}

/**
 * One CLI command. `parse` turns the parsed options into the command's input (throwing UsageError for a bad
 * command line, before any database work); `run` does the work and returns what is printed on stdout as one
 * JSON line.
 */
export interface CommandDefinition<Input> {
  name: string;
  summary: string;
  /** Arguments after the command name, e.g. "--username NAME [--superuser]". */
  usage: string;
  options: OptionSpecs;
  parse(values: OptionValues): Input;
  run(ctx: CommandContext, input: Input): Promise<unknown>;
}

/** A command with its input type sealed in, so commands of different inputs share one registry. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpecs;
  /** Validates the options; the returned function runs the command. */
  prepare(values: OptionValues): (ctx: CommandContext) => Promise<unknown>;
}

export function defineCommand<Input>(definition: CommandDefinition<Input>): Command {
  const { parse, run, ...rest } = definition;
  return {
    ...rest,
    prepare(values) {
      const input = parse(values);
      return (ctx) => run(ctx, input);
    },
  };
}
