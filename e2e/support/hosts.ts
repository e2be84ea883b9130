import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import net from "node:net";

/**
 * Test hosts on this machine: each a network namespace (`ip netns`) joined to the machine by a veth pair of its
 * own (the machine 10.88.<n>.1, the host 10.88.<n>.2). A process started in one shares nothing with the others
 * but what it reaches over its link. Needs root and iproute2; `hostsAvailable()` says whether this machine
 * allows it.
 */
export function hostsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface TestHost {
  name: string;
  /** The host's own address. */
  address: string;
  /** The machine's address as the host reaches it (where the shared services listen). */
  gateway: string;
  remove(): void;
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });

export function createHost(name: string, n: number): TestHost {
  const outside = `veh${n}-${process.pid % 10000}`;
  const inside = `vin${n}-${process.pid % 10000}`;
  const gateway = `10.88.${n}.1`;
  const address = `10.88.${n}.2`;
  ip("netns", "add", name);
  ip("link", "add", outside, "type", "veth", "peer", "name", inside);
  ip("link", "set", inside, "netns", name);
  ip("addr", "add", `${gateway}/24`, "dev", outside);
  ip("link", "set", outside, "up");
  ip("netns", "exec", name, "ip", "addr", "add", `${address}/24`, "dev", inside);
  ip("netns", "exec", name, "ip", "link", "set", inside, "up");
  ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
  return {
    name,
    address,
    gateway,
    remove() {
      try {
        ip("link", "del", outside);
      } catch {
        // gone with the namespace
      }
      try {
        ip("netns", "del", name);
      } catch {
        // already removed
      }
    },
  };
}

export interface HostProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `node <args>` on a host (or on this machine when `host` is null); resolves once `ready` is printed. */
export async function startOn(
  host: TestHost | null,
  args: string[],
  options: { cwd: string; env: Record<string, string>; ready: RegExp },
): Promise<HostProcess> {
  const command = host ? "ip" : process.execPath;
  const argv = host ? ["netns", "exec", host.name, process.execPath, ...args] : args;
  // `ip netns exec` execs node in place: the pid is node's, so signals reach it.
  const child = spawn(command, argv, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += String(d);
  });
  child.stderr?.on("data", (d) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!options.ready.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`${args.join(" ")} did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out, exited };
}

/** A TCP forwarder on every address of this machine to `target` (PostgreSQL listens on loopback only). */
export async function forward(target: {
  host: string;
  port: number;
}): Promise<{ port: number; close(): void }> {
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}
