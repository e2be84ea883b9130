import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { authenticateHeader, verifyCredentials } from "@exports/core";
import { createTestDatabase } from "@exports/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { bootstrapDemoData, bootstrapDemoUser, demoUserBox } from "../src/launcher/bootstrap";
import { ChildProcesses, type Supervised, supervise } from "../src/launcher/children";
import { parseLauncherArgs } from "../src/launcher/options";
import { launcherProcesses } from "../src/launcher/processes";
import { hasProductionBuild, LaunchError, locateWebApp } from "../src/launcher/web";
import { expectExit, runScript } from "./run";

const temp: string[] = [];
afterEach(() => {
  for (const dir of temp.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fakeWebDir(files: string[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "exports-web-"));
  temp.push(dir);
  for (const file of ["package.json", ...files]) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    if (!file.endsWith("/")) writeFileSync(path.join(dir, file), "{}");
  }
  return dir;
}

describe("locateWebApp", () => {
  it("says clearly that there is no Next.js app yet", () => {
    const dir = fakeWebDir([]);
    expect(() => locateWebApp(dir)).toThrow(LaunchError);
    expect(() => locateWebApp(dir)).toThrow(
      /has no Next.js app yet \(none of app\/, src\/app\/, pages\/, src\/pages\/\)/,
    );
  });

  it("asks for `pnpm install` when next is not installed", () => {
    expect(() => locateWebApp(fakeWebDir(["src/app/page.tsx"]))).toThrow(
      /node_modules\/\.bin\/next is missing/,
    );
  });

  it("finds the app and next, and whether it is built", () => {
    const dir = fakeWebDir(["app/page.tsx", "node_modules/.bin/next"]);
    const web = locateWebApp(dir);
    expect(web).toEqual({ dir, next: path.join(dir, "node_modules/.bin/next") });
    expect(hasProductionBuild(web)).toBe(false);
    mkdirSync(path.join(dir, ".next"));
    writeFileSync(path.join(dir, ".next", "BUILD_ID"), "x");
    // Next's pages alone are not enough: the server's bundle belongs to the build too.
    expect(hasProductionBuild(web)).toBe(false);
    mkdirSync(path.join(dir, "dist"));
    writeFileSync(path.join(dir, "dist", "server.mjs"), "x");
    expect(hasProductionBuild(web)).toBe(true);
  });
});

describe("launcherProcesses", () => {
  const web = { dir: "/nowhere", next: "/nowhere/next" };
  const options = { dev: false, webOnly: false, help: false };

  it("starts the worker with glibc's malloc setting (a fixed mmap threshold), the web server as it is", () => {
    const [webProc, worker] = launcherProcesses(options, web, { A: "1" }, 3000);
    expect(worker?.env).toEqual({ A: "1", MALLOC_MMAP_THRESHOLD_: "1048576" });
    expect(webProc?.env).toEqual({ A: "1", PORT: "3000" });
  });

  it("starts the worker with its V8 options (old-generation floor, gc exposed) before its script, both modes", () => {
    const [, worker] = launcherProcesses(options, web, {}, 3000);
    expect(worker?.args).toEqual(["--initial-old-space-size=96", "--expose-gc", "dist/main.mjs"]);
    const [, dev] = launcherProcesses({ ...options, dev: true }, web, {}, 3000);
    expect(dev?.args).toEqual([
      "--initial-old-space-size=96",
      "--expose-gc",
      "--import",
      "tsx",
      "src/main.ts",
    ]);
  });

  it("keeps a threshold the environment sets", () => {
    const [, worker] = launcherProcesses(options, web, { MALLOC_MMAP_THRESHOLD_: "65536" }, 3000);
    expect(worker?.env).toEqual({ MALLOC_MMAP_THRESHOLD_: "65536" });
  });
});

describe("parseLauncherArgs", () => {
  it("reads --dev and --web-only", () => {
    expect(parseLauncherArgs([])).toEqual({ dev: false, webOnly: false, help: false });
    expect(parseLauncherArgs(["--", "--dev", "--web-only"])).toEqual({
      dev: true,
      webOnly: true,
      help: false,
    });
  });
});

const node = (script: string, essential: boolean, name = "child"): Supervised => ({
  name,
  command: process.execPath,
  args: ["-e", script],
  cwd: os.tmpdir(),
  env: process.env,
  essential,
});

describe("supervise", () => {
  it("exits with the web process's code and stops the others", async () => {
    const children = new ChildProcesses();
    const code = await supervise(children, [
      node("setTimeout(() => process.exit(3), 200)", true, "web"),
      node("setInterval(() => {}, 1000)", false, "worker"),
    ]);
    expect(code).toBe(3);
    expect(children.size).toBe(0);
  });

  it("forwards signals; a web process ended by one reports 128 + signal", async () => {
    const children = new ChildProcesses();
    const done = supervise(children, [node("setInterval(() => {}, 1000)", true, "web")]);
    await new Promise((r) => setTimeout(r, 200));
    children.stopping = true;
    children.signalAll("SIGTERM");
    expect(await done).toBe(143);
  });

  it("reports a command that cannot be spawned as 127", async () => {
    const children = new ChildProcesses();
    const code = await supervise(children, [{ ...node("", true), command: "/nonexistent/next" }]);
    expect(code).toBe(127);
  });
});

describe("the first superuser", () => {
  it("frames the sign-in details", () => {
    const box = demoUserBox(
      { username: "admin", password: "pw", token: "t".repeat(40) },
      "http://localhost:3000",
    );
    const lines = box.split("\n");
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(box).toContain("Password    pw");
    expect(box).toContain(`curl -H "Authorization: Token ${"t".repeat(40)}"`);
    expect(box).toContain("http://localhost:3000/api/v1/exports/");
  });

  it("is created only on an empty users table", async () => {
    const tdb = await createTestDatabase();
    try {
      const user = await bootstrapDemoUser(tdb.url);
      expect(user).toMatchObject({ username: "admin" });
      if (!user) return;
      expect(await verifyCredentials(tdb.db, "admin", user.password)).toMatchObject({ isSuperuser: true });
      expect(await authenticateHeader(tdb.db, `Token ${user.token}`)).toMatchObject({ username: "admin" });
      expect(await bootstrapDemoUser(tdb.url)).toBeNull();
    } finally {
      await tdb.destroy();
    }
  });
});

describe("the demo data", () => {
  it("is seeded on the first start only (no users, products or orders), and says so", async () => {
    const tdb = await createTestDatabase();
    try {
      // Two launchers at once on one empty database: one seeds.
      const [a, b] = await Promise.all([bootstrapDemoData(tdb.url), bootstrapDemoData(tdb.url)]);
      const lines = [a, b].filter((l) => l !== null);
      expect(lines).toEqual([
        "[launcher] empty database: seeded a demo set of 10,000 products and 2,000 orders (BOOTSTRAP_DEMO_DATA=0 skips it)",
      ]);
      const counts = await tdb.pool.query(
        "select (select count(*) from products)::int as p, (select count(*) from orders)::int as o",
      );
      expect(counts.rows[0]).toEqual({ p: 10_000, o: 2_000 });
      expect(await bootstrapDemoData(tdb.url)).toBeNull();
      await tdb.pool.query("truncate products, orders cascade");
      await bootstrapDemoUser(tdb.url);
      // A database with users is not a first start.
      expect(await bootstrapDemoData(tdb.url)).toBeNull();
    } finally {
      await tdb.destroy();
    }
  });
});

describe("start.ts", () => {
  it("rejects an unknown option with exit 2", async () => {
    const run = await runScript("src/start.ts", ["--bogus"]);
    expectExit(run, 2);
    expect(run.stderr).toContain("error: unknown option '--bogus' for pnpm start");
  });

  it("stops on a bad environment with exit 1, naming the variable", async () => {
    const run = await runScript("src/start.ts", [], { PORT: "not-a-port" });
    expectExit(run, 1);
    expect(run.stderr).toContain("Invalid environment configuration:");
    expect(run.stderr).toContain("PORT:");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
