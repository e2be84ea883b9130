import { type ChildProcess, spawn } from "node:child_process";
import { log, signalExitCode } from "../output";

export interface ChildSpec {
  /** Short name for messages ("web", "next build"). */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The exit code a shell would report for this exit. A child that could not be spawned counts as 127. */
export function exitCodeOf(exit: ChildExit): number {
  if (exit.code !== null) return exit.code;
  return exit.signal ? signalExitCode(exit.signal) : 1;
}

function describeExit(exit: ChildExit): string {
  return exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
}

/**
 * The launcher's child processes. They share the launcher's terminal (stdio inherited); signals the launcher
 * receives are forwarded to each of them, and `stopAll` ends whatever is left.
 */
export class ChildProcesses {
  private readonly live = new Map<ChildProcess, string>();
  /** Set once shutdown has begun (a signal, or an essential child exited): start nothing new. */
  stopping = false;

  get size(): number {
    return this.live.size;
  }

  /** Spawns a child; resolves when it has exited (or failed to spawn). Never rejects. */
  run(spec: ChildSpec): Promise<ChildExit> {
    return new Promise((resolve) => {
      const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: "inherit" });
      this.live.set(child, spec.name);
      let settled = false;
      const settle = (exit: ChildExit) => {
        if (settled) return;
        settled = true;
        this.live.delete(child);
        resolve(exit);
      };
      child.once("error", (err) => {
        log(`[launcher] could not run ${spec.name} (${spec.command}): ${err.message}`);
        settle({ code: 127, signal: null });
      });
      child.once("exit", (code, signal) => settle({ code, signal }));
    });
  }

  signalAll(signal: NodeJS.Signals): void {
    for (const child of this.live.keys()) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    }
  }

  /** SIGTERM to every child still running; SIGKILL to those left after `graceMs`. */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const running = [...this.live.keys()];
    if (running.length === 0) return;
    const exited = Promise.all(running.map((c) => new Promise((r) => c.once("exit", r))));
    this.signalAll("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), graceMs);
    });
    if ((await Promise.race([exited, timedOut])) === "timeout") {
      log(`[launcher] ${[...this.live.values()].join(", ")} did not stop within ${graceMs / 1000}s; killing`);
      this.signalAll("SIGKILL");
      await exited;
    }
    clearTimeout(timer);
  }
}

export interface Supervised extends ChildSpec {
  /** When an essential process exits, everything stops and the launcher exits with its code (the web app). */
  essential: boolean;
  /** A non-essential process that dies is started again (after a short pause). */
  restart?: boolean;
}

const RESTART_DELAY_MS = 1000;

/**
 * Runs the long-lived processes until an essential one exits; then stops the rest and resolves with that
 * process's exit code. A non-essential process that exits is reported, and started again if it asks to be.
 */
export function supervise(children: ChildProcesses, processes: Supervised[]): Promise<number> {
  return new Promise((resolve) => {
    const start = (spec: Supervised) => {
      void children.run(spec).then(async (exit) => {
        if (!spec.essential) {
          if (children.stopping) return;
          log(`[launcher] ${spec.name} exited (${describeExit(exit)})${spec.restart ? "; restarting" : ""}`);
          if (spec.restart) {
            setTimeout(() => {
              if (!children.stopping) start(spec);
            }, RESTART_DELAY_MS);
          }
          return;
        }
        if (!children.stopping) log(`[launcher] ${spec.name} exited (${describeExit(exit)}); stopping`);
        await children.stopAll();
        resolve(exitCodeOf(exit));
      });
    };
    for (const spec of processes) start(spec);
  });
}
