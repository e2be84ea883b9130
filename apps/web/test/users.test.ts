import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CANNOT_DEACTIVATE_SELF, CANNOT_DEMOTE_SELF, exportsChangeFeed, LocalStorage } from "@exports/core";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "~/server/db";
import { createCaller } from "~/server/trpc/root";
import { assertErrorBody, FORBIDDEN, MISSING_UUID, NOT_FOUND, NOT_PROVIDED } from "./contract";
import { type CallOptions, callerContext, type Harness, startHarness, type TestUser } from "./harness";
import { assertServedAnswer } from "./served-schema";

// Issue 18: users over REST (superusers only, documented answers) and their tRPC twins; deactivation takes
// effect on the very next request, also for a list answer the web process has cached.

let h: Harness;
const storage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-users-")));
const PASSWORD = "correct horse battery staple";
const LIST = "/api/v1/users/";
const ONE = "/api/v1/users/{id}/";

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

type Json = Record<string, unknown>;

async function api(method: string, p: string, user: TestUser | null, options: CallOptions = {}) {
  const res = await h.call(method, p, { token: user?.token ?? null, ...options });
  if (res.status >= 400) assertErrorBody(res.body, `${method} ${p} → ${res.status}`);
  expect(res.status, `${method} ${p}: ${res.text}`).toBeLessThan(500);
  return res;
}

/** A user created over REST by root, with a token of their own (through the harness) and a password. */
async function userWithPassword(username: string): Promise<TestUser> {
  const res = await api("POST", LIST, h.root, { body: { username, password: PASSWORD } });
  expect(res.status, res.text).toBe(201);
  const id = (res.body as { id: string }).id;
  const [token] = await h.db.query.apiTokens.findMany({ where: (t, { eq }) => eq(t.userId, id) });
  expect(token).toBeUndefined(); // the API creates no key: a key comes from the account page or the CLI
  return { id, username, token: "", actor: { id, username, isSuperuser: false } };
}

describe("REST: who may", () => {
  const ops = (id: string) =>
    [
      ["GET", LIST, undefined],
      ["GET", `${LIST}?is_active=maybe`, undefined],
      ["POST", LIST, { username: "mallory", password: PASSWORD, is_superuser: true }],
      ["GET", `/api/v1/users/${id}/`, undefined],
      ["GET", "/api/v1/users/not-a-uuid/", undefined],
      ["PATCH", `/api/v1/users/${id}/`, { is_superuser: true }],
      ["PATCH", "/api/v1/users/not-a-uuid/", { is_active: false }],
    ] as const;

  it("answers anonymous callers 401 on every operation", async () => {
    for (const [method, p, body] of ops(h.alice.id)) {
      const res = await api(method, p, null, { body });
      expect(res.status, `${method} ${p}`).toBe(401);
      expect(res.body).toEqual(NOT_PROVIDED);
      expect(res.headers.get("www-authenticate")).toBe("Token");
    }
  });

  it("answers a regular user 403 on every operation, whatever the input (even a body that is not JSON)", async () => {
    for (const [method, p, body] of ops(h.bob.id)) {
      const res = await api(method, p, h.alice, { body });
      expect(res.status, `${method} ${p}`).toBe(403);
      expect(res.body).toEqual(FORBIDDEN);
      assertServedAnswer(
        p.includes("/users/") && p !== LIST && !p.startsWith(`${LIST}?`) ? ONE : LIST,
        method,
        403,
        res.body,
      );
    }
    const raw = await api("POST", LIST, h.alice, { rawBody: "x", headers: { "Content-Type": "text/plain" } });
    expect(raw.status).toBe(403);
    expect(
      await h.db.query.users.findFirst({ where: (t, { eq }) => eq(t.username, "mallory") }),
    ).toBeUndefined();
  });
});

describe("REST: a superuser manages users", () => {
  it("lists users by username, paginated, with X-Total-Count and Link; filters and searches", async () => {
    const res = await api("GET", `${LIST}?limit=2`, h.root);
    expect(res.status).toBe(200);
    assertServedAnswer(LIST, "GET", 200, res.body);
    expect((res.body as Json[]).map((u) => u.username)).toEqual(["alice", "bob"]);
    expect(Number(res.headers.get("x-total-count"))).toBeGreaterThanOrEqual(3);
    expect(res.headers.get("link")).toContain('rel="next"');
    const search = await api("GET", `${LIST}?search=ROO`, h.root);
    expect((search.body as Json[]).map((u) => u.username)).toEqual(["root"]);
    const bad = await api("GET", `${LIST}?is_active=maybe`, h.root);
    expect(bad.status).toBe(400);
    assertServedAnswer(LIST, "GET", 400, bad.body);
  });

  it("creates a user with a password (no link) or with a one-time set-password link (a full URL)", async () => {
    const withPassword = await api("POST", LIST, h.root, {
      body: { username: "erin", email: "erin@example.test", password: PASSWORD },
    });
    expect(withPassword.status).toBe(201);
    assertServedAnswer(LIST, "POST", 201, withPassword.body);
    expect(withPassword.body).toMatchObject({
      username: "erin",
      has_password: true,
      set_password_link: null,
    });

    const withLink = await api("POST", LIST, h.root, { body: { username: "fred", is_superuser: true } });
    expect(withLink.status).toBe(201);
    assertServedAnswer(LIST, "POST", 201, withLink.body);
    const link = (withLink.body as { set_password_link: { url: string; expires_at: string } })
      .set_password_link;
    expect(link.url).toMatch(/^http:\/\/localhost:3000\/set-password\?token=[A-Za-z0-9_-]{43}$/);

    // The link through the dashboard's procedures: whose it is, then the password, once.
    const token = new URL(link.url).searchParams.get("token") ?? "";
    const anon = createCaller(callerContext(h.db, storage, null));
    expect(await anon.passwordLink.check({ token })).toMatchObject({ username: "fred" });
    expect(await anon.passwordLink.set({ token, password: PASSWORD })).toEqual({ username: "fred" });
    await expect(anon.passwordLink.set({ token, password: PASSWORD })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });

    const taken = await api("POST", LIST, h.root, { body: { username: "erin", password: PASSWORD } });
    expect(taken.status).toBe(400);
    assertServedAnswer(LIST, "POST", 400, taken.body);
    expect(
      (await api("POST", LIST, h.root, { rawBody: "x", headers: { "Content-Type": "text/plain" } })).status,
    ).toBe(415);
  });

  it("retrieves and changes a user; a non-UUID or unknown id is a 404", async () => {
    const got = await api("GET", `/api/v1/users/${h.bob.id}/`, h.root);
    expect(got.status).toBe(200);
    assertServedAnswer(ONE, "GET", 200, got.body);
    for (const p of ["/api/v1/users/not-a-uuid/", "/api/v1/users/42", `/api/v1/users/${MISSING_UUID}/`]) {
      const res = await api("GET", p, h.root);
      expect(res.status, p).toBe(404);
      expect(res.body).toEqual(NOT_FOUND);
      assertServedAnswer(ONE, "GET", 404, res.body);
      expect((await api("PATCH", p, h.root, { body: { is_active: false } })).status, p).toBe(404);
    }
    const made = await api("PATCH", `/api/v1/users/${h.bob.id}/`, h.root, { body: { is_superuser: true } });
    expect(made.status).toBe(200);
    assertServedAnswer(ONE, "PATCH", 200, made.body);
    expect(made.body).toMatchObject({ is_superuser: true, set_password_link: null });
    const reset = await api("PATCH", `/api/v1/users/${h.bob.id}/`, h.root, {
      body: { is_superuser: false, reset_password: true },
    });
    assertServedAnswer(ONE, "PATCH", 200, reset.body);
    expect((reset.body as { set_password_link: { url: string } }).set_password_link.url).toContain(
      "/set-password?token=",
    );
    const unknown = await api("PATCH", `/api/v1/users/${h.bob.id}/`, h.root, { body: { role: "admin" } });
    expect(unknown.status).toBe(400);
    assertServedAnswer(ONE, "PATCH", 400, unknown.body);
  });

  it("refuses to deactivate or demote oneself: 400 naming the fields", async () => {
    const res = await api("PATCH", `/api/v1/users/${h.root.id}/`, h.root, {
      body: { is_active: false, is_superuser: false },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ is_active: [CANNOT_DEACTIVATE_SELF], is_superuser: [CANNOT_DEMOTE_SELF] });
    assertServedAnswer(ONE, "PATCH", 400, res.body);
  });
});

describe("deactivation takes effect on the very next request", () => {
  it("a key whose list answer the web process has cached: the next request is 401", async () => {
    const carol = await h.addUser("carol");
    await h.insertExport(carol);
    const list = () => h.call("GET", "/api/v1/exports/", { token: carol.token });
    await list();
    expect(await exportsChangeFeed(getDb()).whenLive(10_000)).toBe(true);
    // Until the answer comes from the cache (the first may come before the feed was live).
    let cached = await list();
    for (let i = 0; i < 50 && cached.headers.get("x-cache") !== "hit"; i++) cached = await list();
    expect(cached.headers.get("x-cache")).toBe("hit");

    const off = await api("PATCH", `/api/v1/users/${carol.id}/`, h.root, { body: { is_active: false } });
    expect(off.status).toBe(200);
    const next = await list();
    expect(next.status).toBe(401);
    expect(next.body).toEqual({ detail: "Invalid token." });
    // Kept: the exports.
    expect(await h.countExports(carol)).toBe(1);
    // Reactivated: the key works again.
    await api("PATCH", `/api/v1/users/${carol.id}/`, h.root, { body: { is_active: true } });
    expect((await list()).status).toBe(200);
  });

  it("a dashboard session: the next tRPC call is 401, and the session row is gone", async () => {
    const dora = await userWithPassword("dora");
    const signIn = await h.send("POST", "/api/trpc/auth.signIn", {
      body: { username: "dora", password: PASSWORD },
    });
    expect(signIn.status).toBe(200);
    const cookies = signIn.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const me = () => h.send("GET", "/api/trpc/account.get", { headers: { Cookie: cookies } });
    expect((await me()).status).toBe(200);
    await api("PATCH", `/api/v1/users/${dora.id}/`, h.root, { body: { is_active: false } });
    expect((await me()).status).toBe(401);
    expect(await h.db.query.sessions.findMany({ where: (t, { eq }) => eq(t.userId, dora.id) })).toEqual([]);
  });
});

describe("tRPC users.*", () => {
  const as = (u: TestUser | null) => createCaller(callerContext(h.db, storage, u?.actor ?? null));

  it("is FORBIDDEN for a regular user and UNAUTHORIZED for nobody, on every procedure", async () => {
    const calls = (c: ReturnType<typeof as>) => [
      c.users.list({}),
      c.users.get({ id: h.bob.id }),
      c.users.create({ username: "sneaky", password: PASSWORD }),
      c.users.update({ id: h.bob.id, changes: { is_superuser: true } }),
      c.users.update({ id: "nonsense", changes: { is_active: false } }),
    ];
    for (const [who, code] of [
      [h.alice, "FORBIDDEN"],
      [null, "UNAUTHORIZED"],
    ] as const) {
      for (const call of calls(as(who))) {
        const err = await call.then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(TRPCError);
        expect((err as TRPCError).code).toBe(code);
      }
    }
  });

  it("lists, gets, creates and updates for a superuser, as REST does (the link as a path)", async () => {
    const root = as(h.root);
    const page = await root.users.list({ search: "alice" });
    expect(page).toMatchObject({ total: 1, page: 1 });
    expect(page.items[0]).toMatchObject({ username: "alice", is_active: true });
    expect(await root.users.get({ id: h.alice.id })).toMatchObject({ username: "alice" });
    const created = await root.users.create({ username: "gina" });
    expect(created.set_password_link?.path).toMatch(/^\/set-password\?token=/);
    const changed = await root.users.update({ id: created.id, changes: { is_superuser: true } });
    expect(changed.is_superuser).toBe(true);
    await expect(root.users.get({ id: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(root.users.update({ id: h.root.id, changes: { is_active: false } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});
