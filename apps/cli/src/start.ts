/**
 * `pnpm start` (production), `pnpm dev` (--dev), `pnpm start:web` (--web-only): resolve the database, migrate,
 * create a first superuser on an empty database, then run the web app (and, later, the export worker) until
 * the web app exits. Signals are forwarded to the children; an embedded PostgreSQL started here is stopped
 * last.
 */
import type { Env } from "@exports/core";
import { UsageError } from "./args";
import { type ResolvedDatabase, resolveAndMigrate } from "./database";
import { describeUrl, loadEnv } from "./env";
import { bootstrapDemoData, bootstrapDemoUser, demoUserBox } from "./launcher/bootstrap";
import { ChildProcesses, exitCodeOf, supervise } from "./launcher/children";
import { launcherHelp, parseLauncherArgs } from "./launcher/options";
import { launcherProcesses, workerBuildSpec } from "./launcher/processes";
import { takeOverSignals } from "./launcher/signals";
import { buildSpecs, hasProductionBuild, locateWebApp } from "./launcher/web";
import { EXIT, exitCodeFor, log, reportError, signalExitCode } from "./output";

const children = new ChildProcesses();
let database: ResolvedDatabase | null = null;
let exiting = false;

/** Stops the embedded server if this process started it, then exits. */
async function shutdown(code: number): Promise<never> {
  if (!exiting) {
    exiting = true;
    const embedded = database?.embedded;
    database = null;
    if (embedded?.owned) log("[db] stopping the embedded PostgreSQL");
    await embedded
      ?.stop()
      .catch((err: unknown) => log(`[db] could not stop the embedded PostgreSQL: ${err}`));
  }
  process.exit(code);
}

takeOverSignals((signal, count) => {
  children.stopping = true;
  if (children.size === 0) {
    // Nothing to wait for (still preparing): stop at once.
    void shutdown(signalExitCode(signal));
  } else if (count === 1) {
    log(`[launcher] ${signal}: stopping (again to force)`);
    children.signalAll(signal);
  } else {
    log("[launcher] forcing stop");
    children.signalAll("SIGKILL");
  }
});

/** The environment of every child: the resolved database and absolute folders. */
function childEnv(env: Env, url: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: url,
    DATA_DIR: env.DATA_DIR,
    ...(env.STORAGE_DIR ? { STORAGE_DIR: env.STORAGE_DIR } : {}),
    PORT: String(env.PORT),
  };
}

async function launch(argv: string[]): Promise<number> {
  const options = parseLauncherArgs(argv);
  if (options.help) {
    process.stdout.write(launcherHelp());
    return EXIT.OK;
  }
  const env = loadEnv();
  const web = locateWebApp();

  if (env.DATABASE_URL) log(`[db] using DATABASE_URL ${describeUrl(env.DATABASE_URL)}`);
  else log(`[db] no DATABASE_URL: using the embedded PostgreSQL in ${env.DATA_DIR}/postgres`);
  const debug = env.LOG_LEVEL === "debug";
  database = await resolveAndMigrate(env, { info: log, debug: (line) => debug && log(line) });
  log("[db] migrations applied");
  const environment = childEnv(env, database.url);

  const builds = [
    ...(options.dev || hasProductionBuild(web) ? [] : buildSpecs(web, environment)),
    // The worker's bundle takes about a second: built at every start, so it is never older than its source.
    ...(options.dev || options.webOnly ? [] : [workerBuildSpec(environment)]),
  ];
  if (builds.length > 0) {
    log(`[launcher] building ${builds.map((b) => b.name).join(", ")}`);
    for (const spec of builds) {
      const exit = await children.run(spec);
      if (children.stopping) return exitCodeOf(exit);
      if (exitCodeOf(exit) !== 0)
        throw new Error(`${spec.name} failed (${exitCodeOf(exit)}); see its output above`);
    }
  }

  // Before the demo user: "empty" means no users yet either.
  if (env.BOOTSTRAP_DEMO_DATA === "1") {
    const seeded = await bootstrapDemoData(database.url);
    if (seeded) log(seeded);
  } else log("[launcher] BOOTSTRAP_DEMO_DATA=0: no demo data seeded");
  if (env.BOOTSTRAP_DEMO_USER === "1") {
    const user = await bootstrapDemoUser(database.url);
    if (user) process.stdout.write(`\n${demoUserBox(user, `http://localhost:${env.PORT}`)}\n\n`);
  }
  if (children.stopping) return signalExitCode("SIGINT");

  const processes = launcherProcesses(options, web, environment, env.PORT);
  log(
    `[launcher] starting ${processes.map((p) => `${p.name} (${p.args.filter((a) => !a.startsWith("-") && a !== "tsx").join(" ")})`).join(", ")} on port ${env.PORT}`,
  );
  return supervise(children, processes);
}

launch(process.argv.slice(2)).then(
  (code) => shutdown(code),
  (err: unknown) => {
    reportError(err);
    if (err instanceof UsageError) process.stderr.write(launcherHelp());
    return shutdown(exitCodeFor(err));
  },
);
