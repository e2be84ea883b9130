// A real S3-API server for tests and the bench: s3rver (objects in a folder), as a process of its own.
// Usage: node s3-server.mjs <folder> [address] [port]; prints "s3rver listening on <address>:<port>" once ready.
import S3rver from "s3rver";

const [directory, address = "127.0.0.1", port = "0"] = process.argv.slice(2);
if (!directory) {
  console.error("usage: node s3-server.mjs <folder> [address] [port]");
  process.exit(2);
}
const server = new S3rver({ address, port: Number(port), directory, silent: true });
const { address: host, port: bound } = await server.run();
console.log(`s3rver listening on ${host}:${bound}`);
for (const signal of ["SIGTERM", "SIGINT"])
  process.on(signal, () => server.close().then(() => process.exit(0)));
