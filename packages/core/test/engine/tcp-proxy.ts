import net from "node:net";

/**
 * A TCP proxy in front of the real database server for fault tests: `relay` wires the two sockets of each
 * connection (what passes, altered or cut); closing either side closes both. Resolves once it listens; `url`
 * is `databaseUrl` pointed at it.
 */
export async function startTcpProxy(
  databaseUrl: string,
  relay: (client: net.Socket, server: net.Socket, close: () => void) => void,
): Promise<{ url: string; close: () => void }> {
  const target = new URL(databaseUrl);
  const proxy = net.createServer((client) => {
    const server = net.connect(Number(target.port || 5432), target.hostname);
    const close = () => {
      client.destroy();
      server.destroy();
    };
    for (const socket of [client, server]) {
      socket.on("error", close);
      socket.on("close", close);
    }
    relay(client, server, close);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String((proxy.address() as net.AddressInfo).port);
  return { url: url.toString(), close: () => proxy.close() };
}
