import { describeOptions } from "../args";
import { dbMigrate } from "./db-migrate";
import { seed } from "./seed";
import { tokensCreate } from "./tokens-create";
import type { Command } from "./types";
import { usersActivate, usersDeactivate } from "./users-active";
import { usersCreate } from "./users-create";
import { usersUpdate } from "./users-update";

export const COMMANDS: readonly Command[] = [
  usersCreate,
  usersUpdate,
  usersDeactivate,
  usersActivate,
  tokensCreate,
  seed,
  dbMigrate,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export const PROGRAM = "pnpm cli";

export function usageLine(command: Command): string {
  return `${PROGRAM} ${command.name}${command.usage ? ` ${command.usage}` : ""}`;
}

export function commandHelp(command: Command): string {
  const lines = [`usage: ${usageLine(command)}`, "", command.summary];
  if (Object.keys(command.options).length > 0) lines.push("", ...describeOptions(command.options));
  return `${lines.join("\n")}\n`;
}

export function programHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `usage: ${PROGRAM} <command> [options]`,
    "",
    "Administration of the exports app. Each command prints one JSON line on stdout; messages go to stderr.",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${"help".padEnd(width)}  This help; \`help <command>\` or \`<command> --help\` for a command's options.`,
    "",
    "database: DATABASE_URL, else the embedded PostgreSQL in DATA_DIR (the one of a running `pnpm start` if",
    "there is one). Pending migrations are applied before every command.",
    "exit codes: 0 done, 1 the command failed, 2 the command line is wrong.",
    "",
  ].join("\n");
}
