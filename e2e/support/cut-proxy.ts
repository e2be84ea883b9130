import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in front of the app, so that a test can cut every open connection at once (a network blip): the
 * browser sees its streams drop as it would on a real network, with the app itself untouched. Cookies do not
 * depend on the port, so a session signed in through the proxy is the app's own.
 */
export interface CutProxy {
  origin: string;
  /** Destroys every connection open through the proxy (new ones still pass). */
  cut(): void;
  close(): Promise<void>;
}

export async function startCutProxy(target: string): Promise<CutProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.on("close", () => open.delete(s));
    s.on("error", () => s.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: hostname, port: Number(port) });
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no proxy port");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    cut() {
      for (const s of open) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
