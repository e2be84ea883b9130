import pg from "pg";

/** True when a PostgreSQL server accepts a connection at `url` (within `timeoutMs`). */
export async function canConnect(url: string, timeoutMs = 1_500): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}
