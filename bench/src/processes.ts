import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const WORKER_DIR = path.join(REPO_ROOT, "apps/worker");
export const WEB_DIR = path.join(REPO_ROOT, "apps/web");

export interface Child {
  name: string;
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Spawns a process and resolves once its output matches `ready`. */
export async function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string | undefined>; ready: RegExp; timeoutMs?: number },
): Promise<Child> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const collect = (d: Buffer) => {
    out += String(d);
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!options.ready.test(out)) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited during start-up:\n${out.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} did not start in time:\n${out.slice(-4000)}`);
    }
    await sleep(50);
  }
  return {
    name,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pids of a process and all its descendants (from /proc). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  try {
    for (const line of readFileSync(`/proc/${root}/task/${root}/children`, "utf8").trim().split(/\s+/)) {
      if (line) children.set(root, [...(children.get(root) ?? []), Number(line)]);
    }
  } catch {
    return [root];
  }
  const out = [root];
  for (const c of children.get(root) ?? []) out.push(...processTree(c));
  return out;
}

function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used, in ms, from /proc; null where it cannot be read. */
export function cpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * A process's CPU time (ms) on its main thread (the JS: COPY parsing, row encoding, streams) and on all its other
 * threads together (libuv's pool: deflate, file writes; V8's helpers: concurrent GC, compilation), from
 * /proc/<pid>/task; null where it cannot be read. Threads that ended are missing from both.
 */
export function threadCpuMs(pid: number): { main: number; others: number } | null {
  try {
    let others = 0;
    let main = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      const ms = (Number(fields[11]) + Number(fields[12])) * 10;
      if (Number(tid) === pid) main = ms;
      else others += ms;
    }
    return { main, others };
  } catch {
    return null;
  }
}

/**
 * Samples the resident memory of a process (and its children) every `everyMs`: the peak of the summed
 * VmRSS since the last reset, in MB.
 */
export class RssSampler {
  private peakKb = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pid: number,
    private readonly everyMs = 50,
  ) {}

  start() {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref();
    return this;
  }

  private sample() {
    const kb = processTree(this.pid).reduce((sum, pid) => sum + statusKb(pid, "VmRSS"), 0);
    if (kb > this.peakKb) this.peakKb = kb;
  }

  /** Peak since the last reset (MB), and starts a new window. */
  takePeak(): number {
    this.sample();
    const mb = this.peakKb / 1024;
    this.peakKb = 0;
    return mb;
  }

  currentMb(): number {
    return processTree(this.pid).reduce((sum, pid) => sum + statusKb(pid, "VmRSS"), 0) / 1024;
  }

  /** The kernel's own high-water mark (VmHWM) of the root process, MB. */
  hwmMb(): number {
    return statusKb(this.pid, "VmHWM") / 1024;
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
