import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../src/auth/actor";
import { checkPasswordLink, LINK_INVALID, setPasswordWithLink } from "../src/auth/password-links";
import { authenticateSession, type SessionConfig, signIn } from "../src/auth/sessions";
import { authenticateHeader } from "../src/auth/token-actor";
import { createUser, verifyCredentials } from "../src/auth/users";
import {
  adminCreateUser,
  adminUpdateUser,
  CANNOT_DEACTIVATE_SELF,
  CANNOT_DEMOTE_SELF,
  getUser,
  listUsers,
  setUserActive,
} from "../src/auth/users-admin";
import { accountEvents, exports, passwordLinks, sessions, users } from "../src/db/schema";
import { DomainError } from "../src/errors";
import { createTestDatabase, type TestDatabase } from "../src/testing";

// Issue 18: superusers manage users. Rules, the events written with each change, and deactivation taking
// effect at once (sessions deleted, keys refused by the same commit).

let t: TestDatabase;
let root: Actor;
let alice: Actor;
const PASSWORD = "correct horse battery staple";
const CONFIG: SessionConfig = {
  ttlSeconds: 3600,
  maxAgeSeconds: 7 * 24 * 3600,
  maxFailuresPerUser: 5,
  maxFailuresPerAddress: 20,
  windowSeconds: 900,
};
let ipCounter = 0;
const freshIp = () => `10.9.0.${++ipCounter}`;

async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error("expected a DomainError");
}

const eventsOf = (userId: string) =>
  t.db.select().from(accountEvents).where(eq(accountEvents.userId, userId)).orderBy(accountEvents.id);

/** The id of the transaction that last wrote a row (PostgreSQL's xmin): equal ids, one transaction. */
async function xminOf(table: "users" | "account_events", id: string | number): Promise<string> {
  const result = await t.db.execute<{ x: string }>(
    sql`select xmin::text as x from ${sql.identifier(table)} where id = ${id}`,
  );
  const x = result.rows[0]?.x;
  if (!x) throw new Error(`no ${table} row ${id}`);
  return x;
}

beforeAll(async () => {
  t = await createTestDatabase();
  const r = await createUser(t.db, { username: "root", password: PASSWORD, isSuperuser: true });
  root = { id: r.id, username: r.username, isSuperuser: true };
  const a = await createUser(t.db, { username: "alice", password: PASSWORD });
  alice = { id: a.id, username: a.username, isSuperuser: false };
});

afterAll(async () => {
  await t?.destroy();
});

describe("superusers only", () => {
  it("refuses a regular user every operation, before reading the input", async () => {
    for (const call of [
      listUsers(t.db, alice, { nonsense: "1" }),
      getUser(t.db, alice, "not-a-uuid"),
      getUser(t.db, alice, root.id),
      adminCreateUser(t.db, alice, { username: "sneaky", password: PASSWORD }),
      adminCreateUser(t.db, alice, 42),
      adminUpdateUser(t.db, alice, root.id, { is_superuser: false }),
      adminUpdateUser(t.db, alice, alice.id, { is_superuser: true }),
    ]) {
      const err = await domainError(call);
      expect(err.code).toBe("FORBIDDEN");
    }
    expect((await getUser(t.db, root, alice.id)).is_superuser).toBe(false);
    expect(await t.db.query.users.findFirst({ where: eq(users.username, "sneaky") })).toBeUndefined();
  });

  it("answers a non-UUID or unknown id with NOT_FOUND", async () => {
    expect((await domainError(getUser(t.db, root, "42"))).code).toBe("NOT_FOUND");
    expect((await domainError(getUser(t.db, root, crypto.randomUUID()))).code).toBe("NOT_FOUND");
    expect((await domainError(adminUpdateUser(t.db, root, "x", { email: "" }))).code).toBe("NOT_FOUND");
  });
});

describe("create", () => {
  it("with a password: the user can sign in; user.created names the actor, in the creating transaction", async () => {
    const created = await adminCreateUser(t.db, root, {
      username: "bob",
      email: "bob@example.test",
      password: PASSWORD,
    });
    expect(created).toMatchObject({
      username: "bob",
      email: "bob@example.test",
      is_superuser: false,
      is_active: true,
      has_password: true,
      set_password_link: null,
    });
    expect(await verifyCredentials(t.db, "bob", PASSWORD)).toMatchObject({ id: created.id });
    const [event] = await eventsOf(created.id);
    expect(event).toMatchObject({ type: "user.created", actorId: root.id, userId: created.id });
    expect(JSON.stringify(event?.detail)).not.toContain(PASSWORD);
    expect(await xminOf("account_events", event?.id ?? 0)).toBe(await xminOf("users", created.id));
  });

  it("refuses a taken username, bad fields, and both or neither of password and link — writing nothing", async () => {
    const before = (await t.db.select().from(accountEvents)).length;
    const taken = await domainError(adminCreateUser(t.db, root, { username: "bob", password: PASSWORD }));
    expect(taken.fields).toEqual({ username: ["A user with that username already exists."] });
    const bad = await domainError(
      adminCreateUser(t.db, root, { username: "no spaces", email: "nope", password: "short", role: "x" }),
    );
    expect(Object.keys(bad.fields ?? {}).sort()).toEqual(
      expect.arrayContaining(["email", "password", "username"]),
    );
    const both = await domainError(
      adminCreateUser(t.db, root, { username: "both", password: PASSWORD, set_password_link: true }),
    );
    expect(both.fields?.set_password_link).toBeDefined();
    const neither = await domainError(
      adminCreateUser(t.db, root, { username: "neither", set_password_link: false }),
    );
    expect(neither.fields?.password).toBeDefined();
    expect((await t.db.select().from(accountEvents)).length).toBe(before);
  });

  it("without a password: a one-time link that sets it once, throttled, then refuses", async () => {
    const created = await adminCreateUser(t.db, root, { username: "carol", is_superuser: true });
    expect(created.has_password).toBe(false);
    const link = created.set_password_link;
    expect(link?.path).toMatch(/^\/set-password\?token=[A-Za-z0-9_-]{43}$/);
    const token = new URL(link?.path ?? "", "http://x").searchParams.get("token") ?? "";
    // Only the hash is stored.
    const stored = await t.db.select().from(passwordLinks).where(eq(passwordLinks.userId, created.id));
    expect(stored).toHaveLength(1);
    expect(stored[0]?.tokenHash).not.toContain(token);
    expect(stored[0]?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    const hours = ((stored[0]?.expiresAt.getTime() ?? 0) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(71);
    expect(hours).toBeLessThanOrEqual(72);

    const ip = freshIp();
    expect(await checkPasswordLink(t.db, { token, ip }, CONFIG)).toMatchObject({ username: "carol" });
    const short = await domainError(setPasswordWithLink(t.db, { token, password: "short", ip }, CONFIG));
    expect(short.code).toBe("INVALID");
    expect(await setPasswordWithLink(t.db, { token, password: PASSWORD, ip }, CONFIG)).toEqual({
      username: "carol",
    });
    expect(await verifyCredentials(t.db, "carol", PASSWORD)).toMatchObject({ id: created.id });
    const again = await domainError(
      setPasswordWithLink(t.db, { token, password: "another one!", ip }, CONFIG),
    );
    expect(again).toMatchObject({ code: "NOT_FOUND", detail: LINK_INVALID });
    expect(await verifyCredentials(t.db, "carol", "another one!")).toBeNull();
    const types = (await eventsOf(created.id)).map((e) => [e.type, e.actorId]);
    expect(types).toEqual([
      ["user.created", root.id],
      ["user.password_changed", created.id],
    ]);
  });

  it("refuses an expired link and a made-up one", async () => {
    const created = await adminCreateUser(t.db, root, { username: "dave" });
    const token = new URL(created.set_password_link?.path ?? "", "http://x").searchParams.get("token") ?? "";
    await t.db
      .update(passwordLinks)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(passwordLinks.userId, created.id));
    for (const tok of [token, "A".repeat(43), "short"]) {
      const err = await domainError(
        setPasswordWithLink(t.db, { token: tok, password: PASSWORD, ip: freshIp() }, CONFIG),
      );
      expect(err.code).toBe("NOT_FOUND");
    }
  });

  it("throttles link attempts per address as sign-in is (429 past the limit)", async () => {
    const ip = freshIp();
    const tight = { ...CONFIG, maxFailuresPerAddress: 2 };
    for (let i = 0; i < 2; i++) {
      const tok = `${"B".repeat(42)}${i}`;
      expect((await domainError(checkPasswordLink(t.db, { token: tok, ip }, tight))).code).toBe("NOT_FOUND");
    }
    const err = await domainError(
      setPasswordWithLink(t.db, { token: "C".repeat(43), password: PASSWORD, ip }, tight),
    );
    expect(err.code).toBe("TOO_MANY_REQUESTS");
    expect(err.retryAfter).toBeGreaterThan(0);
  });
});

describe("list and retrieve", () => {
  it("pages usernames alphabetically, filters by is_active and searches usernames", async () => {
    await adminCreateUser(t.db, root, { username: "list_x1", password: PASSWORD });
    const x2 = await adminCreateUser(t.db, root, { username: "list_x2", password: PASSWORD });
    await adminUpdateUser(t.db, root, x2.id, { is_active: false });
    const all = await listUsers(t.db, root, { search: "LIST_X" });
    expect(all.items.map((u) => u.username)).toEqual(["list_x1", "list_x2"]);
    expect(all.total).toBe(2);
    const inactive = await listUsers(t.db, root, { is_active: "false", search: "list_" });
    expect(inactive.items.map((u) => u.username)).toEqual(["list_x2"]);
    const page = await listUsers(t.db, root, { limit: "1", page: "2", search: "list_x" });
    expect(page).toMatchObject({ total: 2, page: 2, limit: 1 });
    expect(page.items.map((u) => u.username)).toEqual(["list_x2"]);
    // A `%` or `_` is a character to look for, not a pattern.
    expect((await listUsers(t.db, root, { search: "%" })).total).toBe(0);
    const bad = await domainError(listUsers(t.db, root, { is_active: "maybe", colour: "red", limit: "0" }));
    expect(bad.fields?.is_active).toEqual(["Must be true or false."]);
    expect(JSON.stringify(bad.fields)).toContain("colour");
  });

  it("never shows a password hash", async () => {
    const u = await getUser(t.db, root, alice.id);
    expect(Object.keys(u).sort()).toEqual([
      "created_date",
      "email",
      "email_notifications",
      "has_password",
      "id",
      "is_active",
      "is_superuser",
      "modified_date",
      "username",
    ]);
  });
});

describe("update", () => {
  it("refuses to deactivate or demote oneself, or reset one's own password (400 naming the field)", async () => {
    const err = await domainError(
      adminUpdateUser(t.db, root, root.id, { is_active: false, is_superuser: false }),
    );
    expect(err.code).toBe("INVALID");
    expect(err.fields).toEqual({ is_active: [CANNOT_DEACTIVATE_SELF], is_superuser: [CANNOT_DEMOTE_SELF] });
    expect((await domainError(adminUpdateUser(t.db, root, root.id, { reset_password: true }))).code).toBe(
      "INVALID",
    );
    expect(await getUser(t.db, root, root.id)).toMatchObject({ is_active: true, is_superuser: true });
    // What is allowed on oneself: the email, and being a superuser still.
    expect(
      await adminUpdateUser(t.db, root, root.id, { email: "root@example.test", is_superuser: true }),
    ).toMatchObject({ email: "root@example.test", is_superuser: true });
  });

  it("makes and unmakes a superuser; each change is one user.updated with the actor and the values", async () => {
    const u = await adminCreateUser(t.db, root, { username: "erin", password: PASSWORD });
    await adminUpdateUser(t.db, root, u.id, { is_superuser: true });
    expect((await getUser(t.db, root, u.id)).is_superuser).toBe(true);
    await adminUpdateUser(t.db, root, u.id, { is_superuser: false, email: "erin@example.test" });
    const events = await eventsOf(u.id);
    expect(events.map((e) => [e.type, e.actorId, e.detail])).toEqual([
      ["user.created", root.id, expect.anything()],
      ["user.updated", root.id, { is_superuser: { from: false, to: true } }],
      [
        "user.updated",
        root.id,
        { is_superuser: { from: true, to: false }, email: { from: null, to: "erin@example.test" } },
      ],
    ]);
    // Nothing changed: nothing recorded.
    await adminUpdateUser(t.db, root, u.id, { is_superuser: false });
    expect(await eventsOf(u.id)).toHaveLength(3);
  });

  it("deactivating ends the sessions and refuses the keys at once, keeps the exports; one transaction", async () => {
    const u = await createUser(t.db, { username: "frank", password: PASSWORD });
    const session = await signIn(t.db, { username: "frank", password: PASSWORD, ip: freshIp() }, CONFIG);
    await t.db.insert(exports).values({
      requestPath: "/api/v1/products/",
      viewset: "ProductViewSet",
      actionName: "export_products",
      requestedBy: u.id,
    });
    expect(await authenticateHeader(t.db, `Token ${u.token}`)).toMatchObject({ id: u.id });

    const after = await adminUpdateUser(t.db, root, u.id, { is_active: false });
    expect(after.is_active).toBe(false);
    expect(await t.db.select().from(sessions).where(eq(sessions.userId, u.id))).toEqual([]);
    expect((await domainError(authenticateSession(t.db, session.secret, CONFIG))).code).toBe(
      "UNAUTHENTICATED",
    );
    expect((await domainError(authenticateHeader(t.db, `Token ${u.token}`))).detail).toBe("Invalid token.");
    expect(await verifyCredentials(t.db, "frank", PASSWORD)).toBeNull();
    expect(await t.db.select().from(exports).where(eq(exports.requestedBy, u.id))).toHaveLength(1);
    const [event] = (await eventsOf(u.id)).filter((e) => e.type === "user.deactivated");
    expect(event?.actorId).toBe(root.id);
    expect(await xminOf("account_events", event?.id ?? 0)).toBe(await xminOf("users", u.id));

    // Reactivated: the keys work again (revoked on their own), the sessions stay ended.
    await adminUpdateUser(t.db, root, u.id, { is_active: true });
    expect(await authenticateHeader(t.db, `Token ${u.token}`)).toMatchObject({ id: u.id });
    expect((await domainError(authenticateSession(t.db, session.secret, CONFIG))).code).toBe(
      "UNAUTHENTICATED",
    );
    expect((await eventsOf(u.id)).map((e) => e.type)).toEqual([
      "user.created",
      "token.created",
      "user.deactivated",
      "user.activated",
    ]);
  });

  it("resets a password to a new one or to a link: the sessions end, the old password stops working", async () => {
    const u = await adminCreateUser(t.db, root, { username: "grace", password: PASSWORD });
    await signIn(t.db, { username: "grace", password: PASSWORD, ip: freshIp() }, CONFIG);
    await adminUpdateUser(t.db, root, u.id, { password: "a brand new one" });
    expect(await t.db.select().from(sessions).where(eq(sessions.userId, u.id))).toEqual([]);
    expect(await verifyCredentials(t.db, "grace", PASSWORD)).toBeNull();
    expect(await verifyCredentials(t.db, "grace", "a brand new one")).not.toBeNull();

    const reset = await adminUpdateUser(t.db, root, u.id, { reset_password: true });
    expect(reset.has_password).toBe(false);
    expect(reset.set_password_link?.path).toMatch(/^\/set-password\?token=/);
    expect(await verifyCredentials(t.db, "grace", "a brand new one")).toBeNull();
    // A second reset replaces the first link.
    const again = await adminUpdateUser(t.db, root, u.id, { reset_password: true });
    expect(await t.db.select().from(passwordLinks).where(eq(passwordLinks.userId, u.id))).toHaveLength(1);
    const old = new URL(reset.set_password_link?.path ?? "", "http://x").searchParams.get("token") ?? "";
    expect((await domainError(checkPasswordLink(t.db, { token: old, ip: freshIp() }, CONFIG))).code).toBe(
      "NOT_FOUND",
    );
    const events = (await eventsOf(u.id)).filter((e) => e.type === "user.password_reset");
    expect(events.map((e) => e.detail)).toEqual([
      { via: "password" },
      { via: "set_password_link" },
      { via: "set_password_link" },
    ]);
    expect(JSON.stringify(await eventsOf(u.id))).not.toContain("a brand new one");

    // Deactivating deletes the link; a deactivated user's reset is refused.
    await adminUpdateUser(t.db, root, u.id, { is_active: false });
    const path = again.set_password_link?.path ?? "";
    const token = new URL(path, "http://x").searchParams.get("token") ?? "";
    expect((await domainError(checkPasswordLink(t.db, { token, ip: freshIp() }, CONFIG))).code).toBe(
      "NOT_FOUND",
    );
    expect((await domainError(adminUpdateUser(t.db, root, u.id, { reset_password: true }))).code).toBe(
      "INVALID",
    );
  });
});

describe("two superusers deactivating each other at once", () => {
  it("one succeeds, the other is refused: an active superuser always remains", async () => {
    const mk = async (username: string): Promise<Actor> => {
      const u = await adminCreateUser(t.db, root, { username, password: PASSWORD, is_superuser: true });
      return { id: u.id, username, isSuperuser: true };
    };
    const [x, y] = [await mk("sup_x"), await mk("sup_y")];
    const results = await Promise.allSettled([
      adminUpdateUser(t.db, x, y.id, { is_active: false }),
      adminUpdateUser(t.db, y, x.id, { is_active: false }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: "FORBIDDEN" });
    const states = [await getUser(t.db, root, x.id), await getUser(t.db, root, y.id)];
    expect(states.filter((u) => u.is_active)).toHaveLength(1);
  });
});

describe("the CLI (no actor)", () => {
  it("users:deactivate and users:activate end the sessions and record events with no actor", async () => {
    const u = await createUser(t.db, { username: "heidi", password: PASSWORD });
    await signIn(t.db, { username: "heidi", password: PASSWORD, ip: freshIp() }, CONFIG);
    expect(await setUserActive(t.db, "heidi", false)).toEqual({ username: "heidi", is_active: false });
    expect(await t.db.select().from(sessions).where(eq(sessions.userId, u.id))).toEqual([]);
    await setUserActive(t.db, "heidi", true);
    const events = await t.db
      .select()
      .from(accountEvents)
      .where(and(eq(accountEvents.userId, u.id)));
    expect(events.map((e) => [e.type, e.actorId])).toEqual([
      ["user.created", null],
      ["token.created", null],
      ["user.deactivated", null],
      ["user.activated", null],
    ]);
    expect((await domainError(setUserActive(t.db, "nobody", false))).code).toBe("NOT_FOUND");
  });
});
