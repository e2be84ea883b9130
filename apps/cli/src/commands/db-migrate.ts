import { describeUrl } from "../env";
import { defineCommand } from "./types";

export const dbMigrate = defineCommand({
  name: "db:migrate",
  summary: "Apply the database migrations (every command does this first; safe to repeat).",
  usage: "",
  options: {},
  parse: () => null,
  // The migrations ran before the command (see main.ts); this reports where.
  run: async (ctx) => ({ migrated: true, database: describeUrl(ctx.url) }),
});
