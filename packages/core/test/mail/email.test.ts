import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { updateAccount, updateUserByUsername } from "../../src/auth/account";
import type { Actor } from "../../src/auth/actor";
import { emailDeliveries, exportEvents, exports } from "../../src/db/schema";
import { cancelExport } from "../../src/exports/service";
import { EmailDeliverer, type MailConfig } from "../../src/mail";
import { seedProducts } from "../../src/seed/products";
import {
  createActor,
  createTestDatabase,
  createTestExport,
  type SmtpServerProcess,
  startSmtpServer,
  type TestDatabase,
} from "../../src/testing";
import { drain, engineDeps, tempStorage } from "../engine/helpers";

/** Export emails (issue 16) through a real SMTP server on loopback. */
let t: TestDatabase;
let admin: Actor;
const storage = tempStorage();
const APP_URL = "https://exports.example.test";
let serial = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await createActor(t.db, "root", true);
  await seedProducts(t.db, 120);
});

afterAll(async () => {
  await t?.destroy();
});

const config = (smtp: SmtpServerProcess, retrySchedule = [0.05]): MailConfig => ({
  smtpUrl: smtp.url,
  from: "Exports <exports@example.test>",
  appUrl: APP_URL,
  retrySchedule,
});

async function user(email: string | null, notifications = true): Promise<Actor> {
  const actor = await createActor(t.db, `mail${serial++}`);
  await updateAccount(t.db, actor, { email, email_notifications: notifications });
  return actor;
}

const newExport = (actor: Actor, path = "/api/v1/products/") =>
  createTestExport(t.db, actor, { request_path: path, action_name: `mail ${serial++}` });

/** A status change as the engine's last failure writes it (the trigger writes the event). */
async function fail(id: string, message: string) {
  await t.db.update(exports).set({ status: "failed", errorMessage: message }).where(eq(exports.id, id));
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const settle = () => new Promise((r) => setTimeout(r, 400));
const to = (smtp: SmtpServerProcess, address: string) => smtp.received.filter((m) => m.to.includes(address));

async function withLoops<T>(smtp: SmtpServerProcess, n: number, body: () => Promise<T>, schedule?: number[]) {
  const lines: string[] = [];
  const loops = Array.from(
    { length: n },
    () =>
      new EmailDeliverer({ db: t.db, config: config(smtp, schedule), pollMs: 30, log: (l) => lines.push(l) }),
  );
  for (const loop of loops) loop.start();
  try {
    await body();
  } finally {
    await Promise.all(loops.map((l) => l.stop()));
  }
  return lines;
}

describe("export emails", () => {
  let smtp: SmtpServerProcess;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp?.close();
  });

  it("a completed export: to the owner, from MAIL_FROM, 'ready', a link to its page, no attachment", async () => {
    const alice = await user("alice@example.test");
    const e = await newExport(alice);
    await withLoops(smtp, 1, async () => {
      await drain(engineDeps(t, storage, { pageSize: 100 }));
      await until(() => to(smtp, "alice@example.test").length > 0, "the email");
    });
    const [mail, ...more] = to(smtp, "alice@example.test");
    expect(more).toEqual([]);
    expect(mail?.to).toEqual(["alice@example.test"]);
    expect(mail?.from).toBe("exports@example.test");
    expect(mail?.header("from")).toBe("Exports <exports@example.test>");
    expect(mail?.header("to")).toBe("alice@example.test");
    expect(mail?.header("subject")).toBe("Your products export is ready");
    expect(mail?.body).toContain(`${APP_URL}/exports/${e.id}`);
    // One plain-text part: no file, no link to the file.
    expect(mail?.header("content-type")).toMatch(/^text\/plain/);
    expect(mail?.raw).not.toMatch(/attachment|multipart/i);
    expect(mail?.raw).not.toContain("/download");
    const [row] = await t.db.select().from(emailDeliveries).where(eq(emailDeliveries.exportId, e.id));
    expect(row).toMatchObject({ status: "sent", attempts: 1, recipient: "alice@example.test" });
  });

  it("a failed export: 'failed', with its error message; an orders export names orders", async () => {
    const bob = await user("bob@example.test");
    const e = await newExport(bob, "/api/v1/orders/?status=paid");
    await withLoops(smtp, 1, async () => {
      await fail(e.id, "The storage refused the file (disk full).");
      await until(() => to(smtp, "bob@example.test").length > 0, "the email");
    });
    const [mail] = to(smtp, "bob@example.test");
    expect(mail?.header("subject")).toBe("Your orders export failed");
    expect(mail?.body).toContain("The storage refused the file (disk full).");
    expect(mail?.body).toContain(`${APP_URL}/exports/${e.id}`);
  });

  it("no email: notifications off, no address, a cancelled export", async () => {
    const off = await user("off@example.test", false);
    const none = await user(null);
    const canceller = await user("cancel@example.test");
    const on = await user("on@example.test");
    const a = await newExport(off);
    const b = await newExport(none);
    const c = await newExport(canceller);
    const d = await newExport(on);
    await withLoops(smtp, 1, async () => {
      await fail(a.id, "x");
      await fail(b.id, "x");
      await cancelExport(t.db, admin, c.id);
      // Last: when its email is in, the events before it have been taken.
      await fail(d.id, "x");
      await until(() => to(smtp, "on@example.test").length > 0, "the control email");
      await settle();
    });
    expect(to(smtp, "off@example.test")).toEqual([]);
    expect(to(smtp, "cancel@example.test")).toEqual([]);
    const rows = await t.db
      .select()
      .from(emailDeliveries)
      .where(sql`${emailDeliveries.exportId} in (${a.id}, ${b.id}, ${c.id})`);
    expect(rows).toEqual([]);
  });

  it("the opt-out (users:update's service): off, an event is not mailed; on again, the next one is", async () => {
    const carol = await user("carol@example.test");
    const first = await newExport(carol);
    const second = await newExport(carol);
    await withLoops(smtp, 1, async () => {
      await updateUserByUsername(t.db, carol.username, { email_notifications: false });
      await fail(first.id, "x");
      await until(async () => {
        const [event] = await t.db.select().from(exportEvents).where(eq(exportEvents.exportId, first.id));
        return event?.mailedAt != null;
      }, "the event taken");
      await updateUserByUsername(t.db, carol.username, { email_notifications: true });
      await fail(second.id, "x");
      await until(() => to(smtp, "carol@example.test").length > 0, "the email");
      await settle();
    });
    const mails = to(smtp, "carol@example.test");
    expect(mails).toHaveLength(1);
    expect(mails[0]?.body).toContain(`/exports/${second.id}`);
  });

  it("two delivering loops: each event is mailed once", async () => {
    const dave = await user("dave@example.test");
    const made = await Promise.all(Array.from({ length: 12 }, () => newExport(dave)));
    await withLoops(smtp, 2, async () => {
      for (const e of made) await fail(e.id, `failure of ${e.id}`);
      await until(() => to(smtp, "dave@example.test").length >= made.length, "12 emails");
      await settle();
    });
    const mails = to(smtp, "dave@example.test");
    expect(mails).toHaveLength(made.length);
    const links = new Set(mails.map((m) => /\/exports\/([0-9a-f-]{36})/.exec(m.body)?.[1]));
    expect(links).toEqual(new Set(made.map((e) => e.id)));
  });
});

describe("an SMTP server that refuses", () => {
  it("refuses the first attempt, accepts the second: retried, delivered once", async () => {
    const smtp = await startSmtpServer({ refuseFirst: 1 });
    try {
      const erin = await user("erin@example.test");
      const e = await newExport(erin);
      const lines = await withLoops(smtp, 1, async () => {
        await fail(e.id, "x");
        await until(() => to(smtp, "erin@example.test").length > 0, "the retried email");
      });
      expect(smtp.refused).toBe(1);
      expect(to(smtp, "erin@example.test")).toHaveLength(1);
      const [row] = await t.db.select().from(emailDeliveries).where(eq(emailDeliveries.exportId, e.id));
      expect(row).toMatchObject({ status: "sent", attempts: 2 });
      expect(lines.join("\n")).toMatch(/attempt 1: .*451.*retried later/);
    } finally {
      await smtp.close();
    }
  });

  it("refusing every attempt: given up after the schedule, and logged", async () => {
    const smtp = await startSmtpServer({ refuseFirst: 1000 });
    try {
      const fay = await user("fay@example.test");
      const e = await newExport(fay);
      const lines = await withLoops(
        smtp,
        1,
        async () => {
          await fail(e.id, "x");
          await until(async () => {
            const [row] = await t.db.select().from(emailDeliveries).where(eq(emailDeliveries.exportId, e.id));
            return row?.status === "failed";
          }, "the email given up");
        },
        [0.05, 0.05],
      );
      const [row] = await t.db.select().from(emailDeliveries).where(eq(emailDeliveries.exportId, e.id));
      expect(row).toMatchObject({ status: "failed", attempts: 3 });
      expect(row?.lastError).toMatch(/451/);
      expect(smtp.refused).toBe(3);
      expect(lines.join("\n")).toMatch(/given up after 3 attempts/);
    } finally {
      await smtp.close();
    }
  });
});
