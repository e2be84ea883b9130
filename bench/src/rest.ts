import { existsSync } from "node:fs";
import path from "node:path";
import { authenticateHeader } from "@exports/core";
import autocannon from "autocannon";
import type { BenchDatabase, Seeded } from "./database";
import { type Child, REPO_ROOT, RssSampler, startProcess, WEB_DIR } from "./processes";
import type { Report } from "./report";

export interface RestOptions {
  db: BenchDatabase;
  seeded: Seeded;
  storageDir: string;
  report: Report;
  log: (line: string) => void;
  completedLarge: Record<string, string>;
  completedSmall: Record<string, string>;
  scale: number;
}

interface Load {
  rps: number;
  p99: number;
  p50: number;
  errors: number;
}

/** What a load is held to: a least ratio to the baseline's req/s (without errors), and a most p99 (ms). */
interface Targets {
  ratio: number;
  p99?: number;
}

/**
 * A load's two rows, req/s and p99, against the baseline's when there is one, judged by `targets` when given:
 * issue 5's (≥ 0.5×, p99 ≤ 50 ms) for the cached list, issue 15's for the retrieve (≥ 0.9×, p99 ≤ 20 ms) and the
 * uncached list (≥ 0.9×).
 */
function addLoad(report: Report, name: string, w: Load, b: Load | undefined, targets?: Targets) {
  const ratio = b ? w.rps / b.rps : undefined;
  report.add({
    section: "rest",
    name: `${name}: req/s`,
    value: w.rps,
    unit: "req/s",
    baseline: b?.rps,
    ratio,
    ...(targets
      ? { target: `≥ ${targets.ratio}`, pass: (ratio ?? 0) >= targets.ratio && w.errors === 0 }
      : {}),
    note: w.errors ? `${w.errors} errors` : undefined,
  });
  const p99 = targets?.p99;
  report.add({
    section: "rest",
    name: `${name}: p99`,
    value: w.p99,
    unit: "ms",
    baseline: b?.p99,
    ...(p99 !== undefined ? { target: `≤ ${p99}`, pass: w.p99 <= p99 } : {}),
  });
}

/** Issue 5's targets (the cached list); issue 15's (the retrieve, the uncached list). */
const LIST_CACHED: Targets = { ratio: 0.5, p99: 50 };
const RETRIEVE: Targets = { ratio: 0.9, p99: 20 };
const LIST_UNCACHED: Targets = { ratio: 0.9 };

async function load(url: string, token: string, seconds: number, headers: Record<string, string> = {}) {
  const result = await autocannon({
    url,
    connections: 32,
    duration: seconds,
    headers: { authorization: `Token ${token}`, ...headers },
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    p50: result.latency.p50,
    errors: result.errors + result.timeouts + result.non2xx,
  } satisfies Load;
}

async function startBaseline(dbUrl: string): Promise<{ child: Child; port: number }> {
  const child = await startProcess(
    "baseline",
    process.execPath,
    ["--import", "tsx", path.join(REPO_ROOT, "bench/src/baseline-server.ts")],
    {
      cwd: path.join(REPO_ROOT, "bench"),
      env: { DATABASE_URL: dbUrl, PORT: "0" },
      ready: /baseline ready on \d+/,
    },
  );
  const port = Number(/baseline ready on (\d+)/.exec(child.output())?.[1]);
  return { child, port };
}

async function startWeb(dbUrl: string, storageDir: string, port: number): Promise<Child> {
  // As `pnpm start` runs it: the bundled apps/web/server.ts (the API door + Next.js for the pages).
  return startProcess("web", process.execPath, ["dist/server.mjs"], {
    cwd: WEB_DIR,
    env: {
      DATABASE_URL: dbUrl,
      STORAGE_DIR: storageDir,
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      PORT: String(port),
    },
    ready: /\[web\] ready on/,
    timeoutMs: 60_000,
  });
}

async function getJson(url: string, token: string) {
  const res = await fetch(url, { headers: { authorization: `Token ${token}` } });
  return { status: res.status, total: res.headers.get("x-total-count"), body: await res.json() };
}

/** Downloads a file as fast as it comes, sampling the server's RSS; returns bytes and peak MB. */
async function download(url: string, token: string, rss: RssSampler) {
  rss.takePeak();
  const res = await fetch(url, { headers: { authorization: `Token ${token}` } });
  if (!res.ok || !res.body) throw new Error(`download ${url}: ${res.status}`);
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Uint8Array).length;
  return { bytes, peak: rss.takePeak() };
}

/** c. REST latency/throughput against a bare node:http + pg baseline; b. web memory while downloading. */
export async function runRest(o: RestOptions): Promise<void> {
  const { report, log, seeded, db } = o;
  log("\n[rest] 32 connections, GET list (limit=100) and retrieve, superuser and regular user");
  const webBuilt =
    existsSync(path.join(WEB_DIR, ".next/BUILD_ID")) && existsSync(path.join(WEB_DIR, "dist/server.mjs"));
  const seconds = o.scale >= 0.5 ? 10 : 3;
  const detailId = (
    await db.database.pool.query<{ id: string }>(
      "select id from exports where requested_by = $1 order by created_date desc limit 1",
      [seeded.alice.id],
    )
  ).rows[0]?.id;
  if (!detailId) throw new Error("no export to retrieve");

  // Query plans of the list (superuser: everyone's; regular user: their own) and its count.
  const plans: Record<string, string> = {};
  const explain = async (name: string, sqlText: string, params: unknown[]) => {
    const { rows } = await db.database.pool.query<{ "QUERY PLAN": string }>(
      `explain (analyze, costs off, timing off, summary on) ${sqlText}`,
      params,
    );
    plans[name] = rows.map((r) => r["QUERY PLAN"]).join("\n");
  };
  await explain(
    "list, superuser",
    "select * from exports order by created_date desc nulls last, id desc nulls last limit 100",
    [],
  );
  await explain(
    "list, regular user",
    "select * from exports where requested_by = $1 order by created_date desc nulls last, id desc nulls last limit 100",
    [seeded.alice.id],
  );
  await explain("count, superuser", "select count(*) from exports", []);
  await explain("count, regular user", "select count(*) from exports where requested_by = $1", [
    seeded.alice.id,
  ]);
  await explain(
    "token lookup",
    "select u.id from api_tokens t join users u on u.id = t.user_id where t.key_hash = $1 limit 1",
    ["0".repeat(64)],
  );
  report.extra.query_plans = plans;
  for (const [name, plan] of Object.entries(plans)) {
    const index =
      /((?:Index|Index Only|Bitmap Index) Scan(?: Backward)? (?:using|on) \S+)/.exec(plan)?.[1] ??
      plan.split("\n")[0];
    const time = /Execution Time: ([\d.]+) ms/.exec(plan)?.[1];
    log(`  plan · ${name}: ${index}, ${time} ms`);
  }

  // Per-request auth cost: the token lookup alone, in process.
  {
    const header = `Token ${seeded.alice.token}`;
    for (let i = 0; i < 200; i++) await authenticateHeader(db.database.db, header);
    const n = 2000;
    const t = performance.now();
    for (let i = 0; i < n; i++) await authenticateHeader(db.database.db, header);
    report.add({
      section: "rest",
      name: "auth (token lookup) per request",
      value: ((performance.now() - t) / n) * 1000,
      unit: "µs",
    });
  }

  const baseline = await startBaseline(db.url);
  let web: Child | null = null;
  try {
    const webPort = 3900 + Math.floor(Math.random() * 90);
    if (webBuilt) web = await startWeb(db.url, o.storageDir, webPort);
    else
      o.report.note(
        "apps/web has no production build (.next/BUILD_ID, dist/server.mjs): run `pnpm build` first; web figures skipped",
      );
    const base = `http://127.0.0.1:${baseline.port}`;
    const app = `http://127.0.0.1:${webPort}`;
    const cases = [
      {
        name: "list ?limit=100, superuser",
        path: "/api/v1/exports/?limit=100",
        token: seeded.admin.token,
        targets: LIST_CACHED,
      },
      {
        name: "list ?limit=100, regular user",
        path: "/api/v1/exports/?limit=100",
        token: seeded.alice.token,
        targets: LIST_CACHED,
      },
      {
        name: "retrieve, superuser",
        path: `/api/v1/exports/${detailId}/`,
        token: seeded.admin.token,
        targets: RETRIEVE,
      },
      {
        name: "retrieve, regular user",
        path: `/api/v1/exports/${detailId}/`,
        token: seeded.alice.token,
        targets: RETRIEVE,
      },
    ];
    // The list again with `Cache-Control: no-cache`: the app's list cache is bypassed, so every request reads
    // the 100 rows and the count (what the list costs without the cache), against the baseline (which has no
    // cache) measured again right before, so that both see the same machine.
    const uncached = [
      {
        name: "list ?limit=100, superuser, uncached (Cache-Control: no-cache)",
        path: "/api/v1/exports/?limit=100",
        token: seeded.admin.token,
      },
      {
        name: "list ?limit=100, regular user, uncached (Cache-Control: no-cache)",
        path: "/api/v1/exports/?limit=100",
        token: seeded.alice.token,
      },
    ];
    if (web) {
      // Same answers: the bodies (and totals) of both servers are equal.
      let same = true;
      for (const c of cases) {
        const [a, b] = await Promise.all([getJson(base + c.path, c.token), getJson(app + c.path, c.token)]);
        if (a.status !== 200 || JSON.stringify(a.body) !== JSON.stringify(b.body) || a.total !== b.total) {
          same = false;
          log(`  ${c.name}: baseline and app answers differ (${a.status}/${b.status})`);
        }
      }
      report.extra.rest_same_json = same;
      log(`  same JSON from both servers: ${same ? "yes" : "NO"}`);
      const list = cases[0];
      if (list) {
        const first = await fetch(app + list.path, { headers: { authorization: `Token ${list.token}` } });
        const again = await fetch(app + list.path, { headers: { authorization: `Token ${list.token}` } });
        const bypass = await fetch(app + list.path, {
          headers: { authorization: `Token ${list.token}`, "cache-control": "no-cache" },
        });
        await Promise.all([first.text(), again.text(), bypass.text()]);
        log(
          `  list cache (X-Cache): ${first.headers.get("x-cache")}, then ${again.headers.get("x-cache")}; with no-cache ${bypass.headers.get("x-cache")}`,
        );
      }
    }
    // b. the web process's memory while a large file downloads (vs a file a tenth of the size).
    if (web?.child.pid) {
      const small = o.completedSmall.csv;
      const large = o.completedLarge.csv;
      if (small && large) {
        const rss = new RssSampler(web.child.pid, 50).start();
        const token = seeded.admin.token;
        const s = await download(`${app}/api/v1/exports/${small}/download/`, token, rss);
        const l = await download(`${app}/api/v1/exports/${large}/download/`, token, rss);
        rss.stop();
        report.add({
          section: "memory",
          name: `web peak RSS downloading ${(l.bytes / 1e6).toFixed(0)} MB`,
          value: l.peak,
          unit: "MB",
          target: "≤ 200",
          pass: l.peak <= 200,
        });
        report.add({
          section: "memory",
          name: `web peak RSS, ${(l.bytes / 1e6).toFixed(0)} MB vs ${(s.bytes / 1e6).toFixed(1)} MB download`,
          value: l.peak,
          unit: "MB",
          baseline: s.peak,
          ratio: l.peak / s.peak,
          target: "≤ 1.25",
          pass: l.peak / s.peak <= 1.25,
        });
      } else report.note("web download memory needs the exports section (BENCH_ONLY includes exports)");
    }
    for (const c of cases) {
      await load(base + c.path, c.token, 1); // warm-up
      const b = await load(base + c.path, c.token, seconds);
      if (!web) {
        report.add({ section: "rest", name: `baseline ${c.name}`, value: b.rps, unit: "req/s" });
        continue;
      }
      await load(app + c.path, c.token, 2); // warm-up (JIT, pool)
      const w = await load(app + c.path, c.token, seconds);
      log(
        `  ${c.name}: app ${w.rps.toFixed(0)} req/s p99 ${w.p99} ms · baseline ${b.rps.toFixed(0)} req/s p99 ${b.p99} ms`,
      );
      addLoad(report, c.name, w, b, c.targets);
    }
    for (const c of web ? uncached : []) {
      const headers = { "cache-control": "no-cache" };
      const b = await load(base + c.path, c.token, seconds);
      await load(app + c.path, c.token, 2, headers); // warm-up
      const w = await load(app + c.path, c.token, seconds, headers);
      log(
        `  ${c.name}: app ${w.rps.toFixed(0)} req/s p99 ${w.p99} ms · baseline ${b.rps.toFixed(0)} req/s p99 ${b.p99} ms`,
      );
      addLoad(report, c.name, w, b, LIST_UNCACHED);
    }
  } finally {
    await web?.stop();
    await baseline.child.stop();
  }
}
