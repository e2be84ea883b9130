import { defineConfig } from "drizzle-kit";

// Migrations are generated from the schema (`pnpm --filter @exports/core db:generate`) and committed;
// they are applied by `pnpm db:migrate` and on start (never `drizzle-kit push`).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema/index.ts",
  out: "./drizzle",
});
