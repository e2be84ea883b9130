import { describeOptions, type OptionSpecs, parseOptions } from "../args";

export interface LauncherOptions {
  /** `next dev` instead of a production build. */
  dev: boolean;
  /** Only the web app, no background processes (today there are none; the export worker comes later). */
  webOnly: boolean;
  help: boolean;
}

const SPECS: OptionSpecs = {
  dev: { type: "boolean", description: "run `next dev` (hot reload) instead of the production build" },
  "web-only": { type: "boolean", description: "run only the web app, without the export worker" },
  help: { type: "boolean", description: "this help" },
};

export function parseLauncherArgs(argv: string[]): LauncherOptions {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const values = parseOptions("pnpm start", args, SPECS);
  return { dev: values.dev === true, webOnly: values["web-only"] === true, help: values.help === true };
}

export function launcherHelp(): string {
  return [
    "usage: pnpm start [--dev] [--web-only]",
    "",
    "Starts the exports app: resolves the database (DATABASE_URL, else an embedded PostgreSQL in DATA_DIR),",
    "applies migrations, creates a first superuser on an empty database, then runs the web app on PORT.",
    "",
    ...describeOptions(SPECS),
    "",
  ].join("\n");
}
