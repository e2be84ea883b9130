import { createWriteStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import {
  type Actor,
  createExport,
  type ExportFormat,
  env,
  exportLimitsFromEnv,
  getResource,
  LocalStorage,
  type Storage,
} from "@exports/core";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { BenchDatabase } from "./database";
import { cpuMs, sleep } from "./processes";

export interface ExportTiming {
  id: string;
  format: ExportFormat;
  /** created_date → finished_at, both PostgreSQL's clock (ms). */
  ms: number;
  rows: number;
  pages: number;
  bytes: number | null;
  status: string;
}

/** The columns of the products resource's default export, as SQL column names. */
export function defaultProductColumns(): string[] {
  const resource = getResource("products");
  return resource.defaultFields.map((name) => {
    const field = resource.fields.find((f) => f.name === name);
    if (!field) throw new Error(`no field ${name}`);
    return field.column.name;
  });
}

/** Every field of a resource: its names (for `request_fields`) and SQL column names (for the baseline). */
export function allFields(resourceKey: string): { names: string[]; columns: string[] } {
  const resource = getResource(resourceKey);
  return {
    names: resource.fields.map((f) => f.name),
    columns: resource.fields.map((f) => f.column.name),
  };
}

/** The baseline: PostgreSQL's own COPY of the same columns, in id order, streamed to a file. */
export async function copyBaseline(
  url: string,
  file: string,
  table = "products",
  columnNames = defaultProductColumns(),
): Promise<{ ms: number; bytes: number; serverCpuMs: number | null }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = columnNames.map((c) => pg.escapeIdentifier(c));
    // The server's CPU for the COPY: its backend process, when the server is on this machine.
    const backend = Number((await client.query("select pg_backend_pid() as pid")).rows[0]?.pid);
    const cpu0 = cpuMs(backend);
    const t = performance.now();
    await pipeline(
      client.query(
        copyTo(
          `COPY (SELECT ${columns.join(", ")} FROM ${pg.escapeIdentifier(table)} ORDER BY id) TO STDOUT WITH CSV`,
        ),
      ),
      createWriteStream(file),
    );
    const ms = performance.now() - t;
    const cpu1 = cpuMs(backend);
    const serverCpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
    // The file on the disk before the next measurement, outside this one's time: left dirty, its ~100 MB were
    // written out by the next fsync on the machine (the next export's create commit waited ~150-210 ms, its
    // pick-up with it: 10-24 ms when synced here; BENCHMARKS.md, "Issues 14 and 15: every target held", change 1).
    const handle = await open(file, "r+");
    await handle.sync().finally(() => handle.close());
    return { ms, bytes: (await stat(file)).size, serverCpuMs };
  } finally {
    await client.end();
  }
}

export async function exportStatus(db: BenchDatabase, id: string) {
  const { rows } = await db.database.pool.query<{
    status: string;
    collected_count: number;
    page: number;
    ms: number | null;
    started_ms: number | null;
    result_key: string | null;
  }>(
    `select status, collected_count, page, result_key,
       (extract(epoch from finished_at - created_date) * 1000)::float8 as ms,
       (extract(epoch from started_at - created_date) * 1000)::float8 as started_ms
     from exports where id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new Error(`no export ${id}`);
  return row;
}

/** Waits until an export is finished (completed, failed or cancelled). */
export async function waitFinished(db: BenchDatabase, id: string, timeoutMs: number, everyMs = 10) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await exportStatus(db, id);
    if (["completed", "failed", "cancelled"].includes(row.status)) return row;
    if (Date.now() > deadline)
      throw new Error(`export ${id} did not finish in ${timeoutMs} ms (${row.status})`);
    await sleep(everyMs);
  }
}

export async function runExport(
  db: BenchDatabase,
  actor: Actor,
  format: ExportFormat,
  requestPath: string,
  storage: string | Storage,
  timeoutMs = 600_000,
  fields: string[] = [],
): Promise<ExportTiming> {
  const created = (
    await createExport(
      db.database.db,
      actor,
      {
        request_path: requestPath,
        request_fields: fields,
        format_type: format,
      },
      { limits: exportLimitsFromEnv(env()) },
    )
  ).export;
  const done = await waitFinished(db, created.id, timeoutMs);
  if (done.status !== "completed") throw new Error(`export ${created.id} ended ${done.status}`);
  const files = typeof storage === "string" ? new LocalStorage(storage) : storage;
  const bytes = done.result_key ? await files.size(done.result_key) : null;
  return {
    id: created.id,
    format,
    ms: done.ms ?? Number.NaN,
    rows: done.collected_count,
    pages: done.page - 1,
    bytes,
    status: done.status,
  };
}
