/**
 * In-process cost of an export's pages (issue 15, target 5): the same CSV export run by the engine in this
 * process (`runOnce` until nothing is runnable, as a worker does) with pages sized from the export and with
 * one fixed page, alternating; the process's CPU time (all its threads: fsyncs included) and the wall time of
 * each, least and median. Needs a database with products and a superuser (a `BENCH_KEEP_DB=1` bench database).
 *
 *   npx tsx scripts/page-cpu.ts postgres://postgres@127.0.0.1:5432/db [--rows 100000] [--runs 15]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDatabase } from "../src/db/client";
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from "../src/engine/config";
import { runOnce } from "../src/engine/runner";
import { env } from "../src/env";
import { exportLimitsFromEnv } from "../src/exports/limits";
import { createExport } from "../src/exports/service";
import { keys, LocalStorage } from "../src/storage";

const args = process.argv.slice(2);
const url = args[0] as string;
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : (args[i + 1] as string);
};
const rows = Number(opt("rows", "100000"));
const runs = Number(opt("runs", "15"));

const database = createDatabase(url, { max: 10, name: "page-cpu" });
const { rows: admins } = await database.pool.query<{ id: string; username: string }>(
  "select id, username from users where is_superuser order by id limit 1",
);
const admin = admins[0];
if (!admin) throw new Error("no superuser in that database");
const actor = { id: admin.id, username: admin.username, isSuperuser: true };
const dir = mkdtempSync(path.join(tmpdir(), "page-cpu-"));
// --trace: each fault point's time from the export's create, for the last run of each setting.
const tracing = args.includes("--trace");
let trace: string[] = [];
let t0 = 0;
const faults = (point: string) => {
  if (tracing) trace.push(`${point} ${(performance.now() - t0).toFixed(1)}`);
};
const storage = new LocalStorage(dir, { faults });
const settings: Record<string, EngineConfig> = {
  auto: DEFAULT_ENGINE_CONFIG,
  fixed: { ...DEFAULT_ENGINE_CONFIG, pageSizing: null },
};
const only = opt("only", "");
if (only) for (const name of Object.keys(settings)) if (name !== only) delete settings[name];
const results: Record<string, { cpu: number[]; user: number[]; wall: number[]; pages: number }> = {};
try {
  for (let r = 0; r < runs; r++) {
    for (const [name, config] of Object.entries(settings)) {
      const deps = { db: database.db, pool: database.pool, storage, config, faults };
      trace = [];
      const { export: created } = await createExport(
        database.db,
        actor,
        {
          request_path: `/api/v1/products/?id__lte=${rows}`,
          format_type: "csv",
        },
        { limits: exportLimitsFromEnv(env()) },
      );
      const wall0 = performance.now();
      t0 = wall0;
      const cpu0 = process.cpuUsage();
      let steps = 0;
      for (;;) {
        const step = await runOnce(deps, `page-cpu:${r}:${steps}`);
        if (!step) break;
        faults(`step ${step.outcome}`);
        steps++;
      }
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - wall0;
      const { rows: done } = await database.pool.query<{ status: string; page: number }>(
        "select status, page from exports where id = $1",
        [created.id],
      );
      if (done[0]?.status !== "completed") throw new Error(`export ended ${done[0]?.status}`);
      results[name] ??= { cpu: [], user: [], wall: [], pages: 0 };
      const entry = results[name];
      entry.user.push(cpu.user / 1000);
      entry.cpu.push((cpu.user + cpu.system) / 1000);
      entry.wall.push(wall);
      entry.pages = (done[0]?.page ?? 1) - 1;
      if (tracing) console.log(`${name}: ${trace.join(", ")}`);
      await storage.removePrefix(keys.resultPrefix(created.id)).catch(() => {});
    }
  }
} finally {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}
const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `least ${s[0]?.toFixed(1)} / median ${s[Math.floor(s.length / 2)]?.toFixed(1)} ms`;
};
for (const [name, r] of Object.entries(results)) {
  console.log(`${name} (${r.pages} pages): CPU ${stat(r.cpu)} (user ${stat(r.user)}), wall ${stat(r.wall)}`);
}
