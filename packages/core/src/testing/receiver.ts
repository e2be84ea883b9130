import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver does with its n-th request (from 0): answer a status, or hang (no answer). */
export type Behaviour = (n: number) => number | "hang";

/** A real HTTP receiver on loopback (issue 16's tests): records every request, answers as `behaviour` says. */
export async function startReceiver(behaviour: Behaviour = () => 200) {
  const received: Received[] = [];
  const hanging = new Set<http.ServerResponse>();
  let port = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = received.length;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      const answer = behaviour(n);
      if (answer === "hang") {
        hanging.add(res);
        return;
      }
      // A redirect to itself: a client that followed it would be seen here as one more request.
      if (answer >= 300 && answer < 400) res.setHeader("location", `http://127.0.0.1:${port}/redirected`);
      res.writeHead(answer, { "content-type": "text/plain" }).end(`answer ${answer}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
