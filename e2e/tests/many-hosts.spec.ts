import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { WORKER_MALLOC_ENV, WORKER_NODE_ARGS } from "@exports/core/node";
import { createTestBucket, s3Env, startS3Server } from "@exports/core/testing/s3";
import { expect, test } from "@playwright/test";
import { parse } from "csv-parse/sync";
import ExcelJS from "exceljs";
import {
  createHost,
  forward,
  type HostProcess,
  hostsAvailable,
  startOn,
  type TestHost,
} from "../support/hosts";

/**
 * Several machines (issue 14): the web server and two workers, each on a test host of its own (a network
 * namespace) with its own empty DATA_DIR, sharing nothing but PostgreSQL and a bucket of a real S3-API server.
 * Exports of every format complete, one worker is killed with kill -9 mid-export, every download equals what the
 * list endpoint lists, and no process wrote its disk. Where the machine cannot make namespaces (not root), the
 * processes run side by side on loopback, still with separate empty DATA_DIRs.
 */
const root = path.resolve(import.meta.dirname, "..", "..");
const FIELDS = ["id", "sku", "name", "price", "stock", "is_active", "created_date"];
const ORDER_FIELDS = ["id", "number", "status", "amount", "currency", "created_date"];

const sh = (cmd: string, args: string[], env: Record<string, string> = {}) =>
  execFileSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });

test("web and two workers on hosts that share only PostgreSQL and the bucket", async () => {
  test.setTimeout(300_000);
  const isolated = hostsAvailable();
  const run = `${process.pid}${Date.now() % 100000}`;
  const db = `exports_hosts_${run}`;
  const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const dbUrl = (host: string, port: number) => {
    const u = new URL(adminUrl);
    u.hostname = host;
    u.port = String(port);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const pg = new URL(adminUrl);
  sh("psql", [adminUrl, "-qAtc", `create database ${db}`]);
  const local = { DATABASE_URL: dbUrl(pg.hostname, Number(pg.port || 5432)) };
  sh("pnpm", ["cli", "db:migrate"], local);
  sh("pnpm", ["cli", "seed", "--products", "20000", "--orders", "6000"], local);
  const admin = JSON.parse(
    sh("pnpm", ["cli", "users:create", "--username", "hosts_admin", "--superuser"], local)
      .trim()
      .split("\n")
      .at(-1) ?? "",
  ) as { token: string };

  const s3 = await startS3Server(isolated ? "0.0.0.0" : "127.0.0.1");
  const s3Port = new URL(s3.endpoint).port;
  const bucket = await createTestBucket(`http://127.0.0.1:${s3Port}`);
  const pgForward = await forward({ host: pg.hostname, port: Number(pg.port || 5432) });
  const hosts: TestHost[] = [];
  const processes: HostProcess[] = [];
  const dataDirs: string[] = [];
  try {
    const place = (n: number) => {
      if (!isolated) return { host: null, gateway: "127.0.0.1", address: "127.0.0.1" };
      const host = createHost(`exh${n}-${run}`, n);
      hosts.push(host);
      return { host, gateway: host.gateway, address: host.address };
    };
    const envOf = (gateway: string) => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), "exports-host-"));
      dataDirs.push(dataDir);
      return {
        DATABASE_URL: dbUrl(gateway, pgForward.port),
        STORAGE_URL: `s3://${bucket}/hosts`,
        ...s3Env(`http://${gateway}:${s3Port}`),
        DATA_DIR: dataDir,
        LOG_LEVEL: "info",
      };
    };
    const webAt = place(1);
    const port = 3700 + (process.pid % 200);
    const web = await startOn(webAt.host, ["dist/server.mjs"], {
      cwd: path.join(root, "apps/web"),
      env: { ...envOf(webAt.gateway), PORT: String(port), MAX_ACTIVE_EXPORTS_PER_USER: "100" },
      ready: /ready on/,
    });
    processes.push(web);
    const workerEnv = {
      EXPORT_PAGE_SIZE: "1000",
      EXPORT_RUN_PAGES: "2",
      EXPORT_LEASE_MS: "2000",
      WORKER_POLL_MS: "200",
    };
    const startWorker = async (at: ReturnType<typeof place>) => {
      const w = await startOn(at.host, [...WORKER_NODE_ARGS, "dist/main.mjs"], {
        cwd: path.join(root, "apps/worker"),
        // Started as the launcher starts a worker: glibc's malloc and V8's heap settings included (process-env.ts).
        env: { ...WORKER_MALLOC_ENV, ...envOf(at.gateway), ...workerEnv },
        ready: /ready \(page size/,
      });
      processes.push(w);
      return w;
    };
    const w1 = await startWorker(place(2));
    await startWorker(place(3));

    const base = `http://${webAt.address}:${port}`;
    const headers = { Authorization: `Token ${admin.token}`, "Content-Type": "application/json" };
    const api = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(url.startsWith("http") ? url : `${base}${url}`, { ...init, headers });
      if (!res.ok) throw new Error(`${init.method ?? "GET"} ${url}: ${res.status} ${await res.text()}`);
      return res;
    };
    const requests = ["csv", "json", "xls"].flatMap((format) => [
      { request_path: "/api/v1/products/?stock__gte=5", request_fields: FIELDS, format_type: format },
      { request_path: "/api/v1/orders/", request_fields: ORDER_FIELDS, format_type: format },
    ]);
    const ids: string[] = [];
    for (const body of requests) {
      const created = await api("/api/v1/exports/", { method: "POST", body: JSON.stringify(body) });
      ids.push(((await created.json()) as { id: string }).id);
    }
    // kill -9 a worker once exports are under way.
    const retrieve = async (id: string) =>
      (await (await api(`/api/v1/exports/${id}/`)).json()) as Record<string, unknown>;
    for (;;) {
      const rows = await Promise.all(ids.map(retrieve));
      if (rows.some((r) => (r.collected_count as number) > 0)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    w1.child.kill("SIGKILL");
    await w1.exited;
    const done: Array<Record<string, unknown>> = [];
    const deadline = Date.now() + 240_000;
    for (const id of ids) {
      for (;;) {
        const r = await retrieve(id);
        if (r.status === "failed") throw new Error(`export ${id} failed: ${r.error_message}`);
        if (r.status === "completed") {
          done.push(r);
          break;
        }
        if (Date.now() > deadline) throw new Error(`export ${id} did not complete: ${JSON.stringify(r)}`);
        await new Promise((res) => setTimeout(res, 200));
      }
    }

    const listAll = async (requestPath: string) => {
      const [p, q] = requestPath.split("?");
      const records: Array<Record<string, unknown>> = [];
      for (let page = 1; ; page++) {
        const items = (await (await api(`${p}?${q ?? ""}&limit=1000&page=${page}`)).json()) as Array<
          Record<string, unknown>
        >;
        records.push(...items);
        if (items.length < 1000) return records;
      }
    };
    for (const [i, r] of done.entries()) {
      const request = requests[i] as (typeof requests)[number];
      const listed = await listAll(request.request_path);
      const fields = request.request_fields;
      expect(r.total_count).toBe(listed.length);
      expect(r.collected_count).toBe(listed.length);
      const file = Buffer.from(await (await api(r.result_file as string)).arrayBuffer());
      if (request.format_type === "json") {
        expect(JSON.parse(file.toString("utf8"))).toEqual(
          listed.map((row) => Object.fromEntries(fields.map((f) => [f, row[f]]))),
        );
      } else if (request.format_type === "csv") {
        const [, ...rows] = parse(file.toString("utf8").replace(/^\uFEFF/, "")) as string[][];
        expect(rows.map((row) => row[0])).toEqual(listed.map((row) => String(row.id)));
      } else {
        const workbook = new ExcelJS.Workbook();
        await workbook.xlsx.load(file as unknown as ArrayBuffer);
        const cells: unknown[] = [];
        workbook.eachSheet((sheet) => sheet.eachRow((row, n) => n > 1 && cells.push(row.getCell(1).value)));
        expect(cells).toEqual(listed.map((row) => row.id));
      }
    }
    // Nothing on any host's disk: parts, results and uploads all went to the bucket.
    for (const dir of dataDirs) expect(readdirSync(dir, { recursive: true }), dir).toEqual([]);
    console.log(
      `many hosts: ${isolated ? "network namespaces" : "loopback (no namespaces here)"}; ${ids.length} exports`,
    );
  } finally {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await Promise.all(processes.map((p) => p.exited));
    for (const h of hosts) h.remove();
    pgForward.close();
    await s3.stop();
    sh("psql", [adminUrl, "-qAtc", `drop database if exists ${db} with (force)`]);
  }
});
