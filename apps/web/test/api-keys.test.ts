import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  authenticateSession,
  createUser,
  exportsChangeFeed,
  LocalStorage,
  lacksScope,
  SCOPES,
  SESSION_EXPIRED,
  signIn,
} from "@exports/core";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "~/server/db";
import { openApiDocument } from "~/server/rest/routes";
import { createCaller } from "~/server/trpc/root";
import { callerContext, type Harness, startHarness, type TestUser } from "./harness";
import { assertServedSchema } from "./served-schema";

/** Issue 18: the REST and tRPC doors of a user's own API keys, expiry, revoke at once, change password. */
const storage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-keys-")));
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

type Json = Record<string, unknown>;
interface KeyBody {
  id: string;
  name: string;
  scopes: string[];
  expires_at: string | null;
  created_date: string;
  last_used_at: string | null;
  key_prefix: string;
  token?: string;
}

async function createKey(user: TestUser, body: Json = { name: "k" }): Promise<KeyBody & { token: string }> {
  const res = await h.call("POST", "/api/v1/tokens/", { token: user.token, body });
  expect(res.status, res.text).toBe(201);
  assertServedSchema("ApiKeyCreated", res.body);
  return res.body as KeyBody & { token: string };
}

/** A statement on this file's database, as another process (or time passing) would change a row. */
const exec = (text: string, params: unknown[]) => h.db.$client.query(text, params);

const listKeys = async (token: string) => {
  const res = await h.call("GET", "/api/v1/tokens/", { token });
  expect(res.status).toBe(200);
  for (const key of res.body as unknown[]) assertServedSchema("ApiKey", key);
  return res.body as KeyBody[];
};

describe("REST /api/v1/tokens/", () => {
  it("creates a key (the secret only in that answer), lists it, and it works until revoked", async () => {
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const key = await createKey(h.alice, { name: "ci", scopes: ["exports:read"], expires_at: expires });
    expect(key).toMatchObject({
      name: "ci",
      scopes: ["exports:read"],
      expires_at: expires,
      last_used_at: null,
    });
    expect(key.key_prefix).toBe(key.token.slice(0, 8));
    const listed = await listKeys(h.alice.token);
    expect(listed.find((k) => k.id === key.id)).toMatchObject({ name: "ci", key_prefix: key.key_prefix });
    expect(JSON.stringify(listed)).not.toContain(key.token);
    // The new key reads, but may not write or manage keys.
    expect((await h.call("GET", "/api/v1/exports/", { token: key.token })).status).toBe(200);
    const write = await h.call("POST", "/api/v1/exports/", {
      token: key.token,
      body: { request_path: "/api/v1/products/" },
    });
    expect([write.status, write.body]).toEqual([403, { detail: lacksScope("exports:write") }]);
    expect((await h.call("GET", "/api/v1/tokens/", { token: key.token })).status).toBe(403);

    const revoked = await h.send("DELETE", `/api/v1/tokens/${key.id}/`, { token: h.alice.token });
    expect(revoked.status).toBe(204);
    expect(await revoked.text()).toBe("");
    const after = await h.call("GET", "/api/v1/exports/", { token: key.token });
    expect([after.status, after.body]).toEqual([401, { detail: "Invalid token." }]);
    expect(after.headers.get("www-authenticate")).toBe("Token");
    expect((await listKeys(h.alice.token)).map((k) => k.id)).not.toContain(key.id);
  });

  it("defaults to both scopes, never expiring; refuses bad input with 400 field errors", async () => {
    expect(await createKey(h.bob, { name: "plain" })).toMatchObject({
      scopes: [...SCOPES],
      expires_at: null,
    });
    const bad = async (body: unknown) => {
      const res = await h.call("POST", "/api/v1/tokens/", { token: h.bob.token, body });
      expect(res.status).toBe(400);
      return Object.keys(res.body as Json);
    };
    expect(await bad({ name: "x", expires_at: "2001-01-01T00:00:00Z" })).toEqual(["expires_at"]);
    expect(await bad({ name: "x", expires_at: "soon" })).toEqual(["expires_at"]);
    expect(await bad({ name: "x", scopes: ["admin"] })).toEqual(["scopes"]);
    expect(await bad({})).toEqual(["name"]);
    const notJson = await h.call("POST", "/api/v1/tokens/", {
      token: h.bob.token,
      rawBody: "name=x",
      headers: { "Content-Type": "text/plain" },
    });
    expect(notJson.status).toBe(415);
  });

  it("another user's key is a 404, a superuser's request too; a key may revoke itself", async () => {
    const key = await createKey(h.alice, { name: "mine" });
    for (const other of [h.bob, h.root]) {
      const res = await h.call("DELETE", `/api/v1/tokens/${key.id}/`, { token: other.token });
      expect([res.status, res.body]).toEqual([404, { detail: "Not found." }]);
      expect((await listKeys(other.token)).map((k) => k.id)).not.toContain(key.id);
    }
    expect((await h.call("DELETE", "/api/v1/tokens/not-a-uuid/", { token: h.alice.token })).status).toBe(404);
    expect((await h.send("DELETE", `/api/v1/tokens/${key.id}/`, { token: key.token })).status).toBe(204);
    expect((await h.call("GET", "/api/v1/tokens/", { token: key.token })).status).toBe(401);
  });

  it("an expired key is 401 Token expired. with WWW-Authenticate: Token, on every door", async () => {
    const key = await createKey(h.alice, {
      name: "old",
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const record = await h.insertExport(h.alice);
    expect((await h.call("GET", `/api/v1/exports/${record.id}/`, { token: key.token })).status).toBe(200);
    await exec("update api_tokens set expires_at = now() - interval '1 second' where id = $1", [key.id]);
    for (const url of [
      "/api/v1/exports/",
      `/api/v1/exports/${record.id}/`,
      "/api/v1/tokens/",
      "/api/v1/products/",
    ]) {
      const res = await h.call("GET", url, { token: key.token });
      expect([url, res.status, res.body]).toEqual([url, 401, { detail: "Token expired." }]);
      expect(res.headers.get("www-authenticate")).toBe("Token");
    }
    const trpc = await h.call("GET", "/api/trpc/exports.list?input=%7B%7D", { token: key.token });
    expect(trpc.status).toBe(401);
    expect((trpc.body as { error: { message: string } }).error.message).toBe("Token expired.");
  });

  it("moves last_used_at on use, at most once a minute", async () => {
    const key = await createKey(h.bob, { name: "used" });
    const lastUsed = async () => (await listKeys(h.bob.token)).find((k) => k.id === key.id)?.last_used_at;
    expect(await lastUsed()).toBeNull();
    await h.call("GET", "/api/v1/exports/", { token: key.token });
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await h.call("GET", "/api/v1/exports/", { token: key.token });
    expect(await lastUsed()).toBe(first);
    await exec("update api_tokens set last_used_at = now() - interval '2 minutes' where id = $1", [key.id]);
    const stale = await lastUsed();
    await h.call("GET", `/api/v1/exports/${crypto.randomUUID()}/`, { token: key.token });
    const moved = await lastUsed();
    expect(new Date(moved ?? 0).getTime()).toBeGreaterThan(new Date(stale ?? 0).getTime());
  });

  it("revoke takes effect on the very next request, even for a list answer the cache holds", async () => {
    const user = await h.addUser("cached");
    await h.insertExport(user);
    const doomed = await createKey(user, { name: "doomed", scopes: ["exports:read"] });
    const path = "/api/v1/exports/?limit=7";
    await h.call("GET", path, { token: doomed.token });
    expect(await exportsChangeFeed(getDb()).whenLive(10_000)).toBe(true);
    // Until the answer comes from the cache (the first may have come before the feed was live).
    let cached = "";
    for (let i = 0; i < 50 && cached !== "hit"; i++)
      cached = (await h.call("GET", path, { token: doomed.token })).headers.get("x-cache") ?? "";
    expect(cached).toBe("hit");
    expect((await h.send("DELETE", `/api/v1/tokens/${doomed.id}/`, { token: user.token })).status).toBe(204);
    const after = await h.call("GET", path, { token: doomed.token });
    expect([after.status, after.body]).toEqual([401, { detail: "Invalid token." }]);
    // The cached answer is still there for the user's other key: only the revoked key was refused.
    expect((await h.call("GET", path, { token: user.token })).headers.get("x-cache")).toBe("hit");
  });

  it("is documented with its schemas", () => {
    const paths = openApiDocument().paths;
    expect(Object.keys(paths["/api/v1/tokens/"] ?? {})).toEqual(["get", "post"]);
    expect(Object.keys(paths["/api/v1/tokens/{id}/"] ?? {})).toEqual(["delete"]);
  });
});

describe("tRPC account.tokens and account.changePassword (the dashboard's session)", () => {
  const PASSWORD = "correct horse battery staple";

  it("create, list and revoke with a session; the key works over REST until revoked", async () => {
    const session = createCaller(
      callerContext(h.db, storage, h.alice.actor, {
        authenticate: async () => ({ via: "session", actor: h.alice.actor, csrfToken: "c", sessionId: "s" }),
        csrfHeader: "c",
      }),
    );
    const key = await session.account.tokens.create({ name: "from the page", scopes: ["exports:read"] });
    expect((await session.account.tokens.list()).find((k) => k.id === key.id)).toMatchObject({
      name: "from the page",
      scopes: ["exports:read"],
    });
    expect((await h.call("GET", "/api/v1/exports/", { token: key.token })).status).toBe(200);
    expect(await session.account.tokens.revoke({ id: key.id })).toEqual({ revoked: true });
    expect((await h.call("GET", "/api/v1/exports/", { token: key.token })).status).toBe(401);
    // A session's mutation still needs its CSRF token.
    const noCsrf = createCaller(
      callerContext(h.db, storage, h.alice.actor, {
        authenticate: async () => ({ via: "session", actor: h.alice.actor, csrfToken: "c", sessionId: "s" }),
      }),
    );
    await expect(noCsrf.account.tokens.create({ name: "x" })).rejects.toThrow(/CSRF/);
  });

  it("change password: the current one required; the user's other sessions end, this one stays", async () => {
    const created = await createUser(h.db, { username: "erin", password: PASSWORD });
    const user = { actor: { id: created.id, username: "erin", isSuperuser: false }, id: created.id };
    const here = await signIn(h.db, { username: "erin", password: PASSWORD });
    const there = await signIn(h.db, { username: "erin", password: PASSWORD });
    const hereId = (await authenticateSession(h.db, here.secret)).id;
    const session = createCaller(
      callerContext(h.db, storage, user.actor, {
        authenticate: async () => ({ via: "session", actor: user.actor, csrfToken: "c", sessionId: hereId }),
        csrfHeader: "c",
      }),
    );
    const wrong = await session.account
      .changePassword({ current_password: "nope", new_password: "another long one" })
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(TRPCError);
    expect((wrong as TRPCError).code).toBe("BAD_REQUEST");
    expect(
      await session.account.changePassword({ current_password: PASSWORD, new_password: "another long one" }),
    ).toEqual({ sessions_ended: 1 });
    expect((await authenticateSession(h.db, here.secret)).actor.id).toBe(user.id);
    await expect(authenticateSession(h.db, there.secret)).rejects.toThrow(SESSION_EXPIRED);
    const events = (
      await exec(
        "select type, actor_id from account_events where user_id = $1 and type like 'user.password%'",
        [user.id],
      )
    ).rows;
    expect(events.map((e) => [e.type, e.actor_id])).toEqual([["user.password_changed", user.id]]);
    // A key, even with every scope, cannot change the password.
    const byKey = createCaller(callerContext(h.db, storage, user.actor));
    const refused = await byKey.account
      .changePassword({ current_password: "another long one", new_password: "a third long one" })
      .catch((e: unknown) => e);
    expect((refused as TRPCError).code).toBe("FORBIDDEN");
  });
});
