import { type Actor, updateAccount } from "@exports/core";
import {
  createActor,
  createTestDatabase,
  createTestExport,
  type SmtpServerProcess,
  seedProducts,
  startSmtpServer,
  type TestDatabase,
} from "@exports/core/testing";
import { testBackend } from "@exports/core/testing/s3";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { startWorker, type WorkerProcess, waitFor } from "./processes";

/** Issue 16: the worker process runs the email loop when SMTP_URL is set, and none without it. */
let t: TestDatabase;
let alice: Actor;
let smtp: SmtpServerProcess;
const { env: storageEnv } = testBackend(process.env.TEST_STORAGE, inject("s3Endpoint"), inject("s3Bucket"));
const running: WorkerProcess[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await updateAccount(t.db, alice, { email: "alice@example.test" });
  await seedProducts(t.db, 200);
  smtp = await startSmtpServer();
});

afterEach(async () => {
  for (const w of running.splice(0)) {
    if (w.child.exitCode === null) {
      w.child.kill("SIGTERM");
      await w.exited;
    }
  }
});

afterAll(async () => {
  await smtp?.close();
  await t?.destroy();
});

async function worker(extra: Record<string, string>) {
  const w = await startWorker({
    DATABASE_URL: t.url,
    ...storageEnv,
    WORKER_POLL_MS: "100",
    WEBHOOK_POLL_MS: "100",
    SMTP_URL: "",
    ...extra,
  });
  running.push(w);
  return w;
}

const completed = async (id: string) =>
  (await t.db.query.exports.findFirst({ where: (row, { eq }) => eq(row.id, id) }))?.status === "completed";

describe("the worker's email loop", () => {
  it("without SMTP_URL: no email loop (the event stays unmailed)", async () => {
    const e = await createTestExport(t.db, alice, { request_path: "/api/v1/products/" });
    await worker({});
    await waitFor("the export to complete", () => completed(e.id));
    await new Promise((r) => setTimeout(r, 500));
    const event = await t.db.query.exportEvents.findFirst({ where: (row, { eq }) => eq(row.exportId, e.id) });
    expect(event?.dispatchedAt).not.toBeNull();
    expect(event?.mailedAt).toBeNull();
    expect(smtp.received).toEqual([]);
  });

  it("with SMTP_URL, MAIL_FROM, APP_URL: the owner is mailed a link to the export's page", async () => {
    const e = await createTestExport(t.db, alice, { request_path: "/api/v1/products/" });
    await worker({
      SMTP_URL: smtp.url,
      MAIL_FROM: "exports@example.test",
      APP_URL: "http://exports.example.test:8080/",
    });
    const mail = await waitFor("the email", async () =>
      smtp.received.find((m) => m.body.includes(`/exports/${e.id}`)),
    );
    expect(mail.to).toEqual(["alice@example.test"]);
    expect(mail.header("subject")).toBe("Your products export is ready");
    expect(mail.body).toContain(`http://exports.example.test:8080/exports/${e.id}`);
  });
});
