import type net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { createDatabase, type Database } from "../../src/db/client";
import { seedProducts } from "../../src/seed/products";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { drain, engineDeps, expectFileToEqualListedRecords, exportRow, tempStorage } from "./helpers";
import { startTcpProxy } from "./tcp-proxy";

let t: TestDatabase;
let alice: Actor;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let proxied: Database;
/** How many page records (their guarded update) the proxy lets commit and then cuts off from the worker. */
let cutAfterRecord = 0;
let cuts = 0;

/**
 * While `cutAfterRecord` > 0, watches for a page's guarded update (the only statement that appends to
 * `uploaded_parts`) and closes the client's connection when the server answers it: the update committed, but
 * the worker only sees its connection end — a commit whose outcome it cannot know, as when the network or the
 * server goes away at that moment.
 */
function cutAfterCommit(client: net.Socket, server: net.Socket, close: () => void) {
  let doomed = false;
  client.on("data", (data: Buffer) => {
    if (cutAfterRecord > 0 && data.includes("array_append")) {
      cutAfterRecord--;
      doomed = true;
    }
    server.write(data);
  });
  server.on("data", (data: Buffer) => {
    if (!doomed) {
      client.write(data);
      return;
    }
    // The statement's answer (CommandComplete, ReadyForQuery) is only sent after its commit.
    if (data.includes("Z")) {
      cuts++;
      close();
    }
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 1500);
  proxy = await startTcpProxy(t.url, cutAfterCommit);
  proxied = createDatabase(proxy.url, { max: 4 });
});

afterAll(async () => {
  await proxied?.close();
  proxy?.close();
  await t?.destroy();
});

describe("a page whose record committed but whose answer never reached the worker", () => {
  it.each([
    { format: "csv", runPages: 1 },
    { format: "json", runPages: 1 },
    { format: "xls", runPages: 1 },
    { format: "json", runPages: 4 },
    { format: "xls", runPages: 4 },
  ] as const)(
    "keeps its part: the $format export (runs of $runPages) completes exactly",
    async ({ format, runPages }) => {
      const storage = tempStorage();
      const deps = engineDeps(proxied, storage, { pageSize: 101, runPages });
      const created = await createTestExport(t.db, alice, {
        request_path: "/api/v1/products/",
        format_type: format,
      });
      cuts = 0;
      // The second page's record: the first page also fixes total_count, the second is an ordinary one.
      cutAfterRecord = 0;
      await drain({ ...deps }, "w", 1);
      cutAfterRecord = 1;
      // A retried step waits out its backoff (10 ms here): drain until the export is done.
      for (let i = 0; i < 200; i++) {
        await drain(deps, `w${i}`);
        const row = await exportRow(t.db, created.id);
        if (row.status === "completed" || row.status === "failed") break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(cuts).toBe(1);
      const row = await exportRow(t.db, created.id);
      expect(row.errorMessage).toBeNull();
      expect(row.status).toBe("completed");
      await expectFileToEqualListedRecords(t.db, storage, row);
    },
  );
});
