import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../src/auth/actor";
import { createApiKey, listApiKeys, revokeApiKey } from "../src/auth/api-keys";
import { changePassword, WRONG_CURRENT_PASSWORD } from "../src/auth/password-change";
import { assertAccess, lacksScope, SCOPES, SESSION_ONLY } from "../src/auth/scopes";
import { authenticateSession, type SessionConfig, signIn } from "../src/auth/sessions";
import { authenticateHeader, authenticateToken, TOKEN_EXPIRED } from "../src/auth/token-actor";
import { type CreatedUser, createTokenForUsername, createUser } from "../src/auth/users";
import { accountEvents, apiTokens } from "../src/db/schema";
import { DomainError } from "../src/errors";
import { findExportJsonForToken } from "../src/exports/record-reads";
import { createTestDatabase, type TestDatabase } from "../src/testing";

/** Issue 18: a user's own API keys (scopes, expiry, revoke), and changing one's password. */
let t: TestDatabase;
let alice: CreatedUser;
let bob: CreatedUser;
let root: CreatedUser;
const PASSWORD = "correct horse battery staple";
const CONFIG = { creationsPerWindow: 50, windowSeconds: 900 };
const SESSIONS: SessionConfig = {
  ttlSeconds: 3600,
  maxAgeSeconds: 7200,
  maxFailuresPerUser: 5,
  maxFailuresPerAddress: 20,
  windowSeconds: 900,
};

const actorOf = (u: CreatedUser): Actor => ({ id: u.id, username: u.username, isSuperuser: u.is_superuser });

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

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createUser(t.db, { username: "alice", password: PASSWORD });
  bob = await createUser(t.db, { username: "bob", password: PASSWORD });
  root = await createUser(t.db, { username: "root", password: PASSWORD, isSuperuser: true });
});

afterAll(async () => {
  await t?.destroy();
});

describe("scopes", () => {
  it("a session may do everything; a key what its scopes grant, naming the scope it lacks", () => {
    for (const need of [...SCOPES, "all-scopes", "session"] as const)
      expect(() => assertAccess({ via: "session" }, need)).not.toThrow();
    const read = { via: "token" as const, scopes: ["exports:read"] };
    expect(() => assertAccess(read, "exports:read")).not.toThrow();
    const denied = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        return err instanceof DomainError ? `${err.code} ${err.detail}` : String(err);
      }
      return "allowed";
    };
    expect(denied(() => assertAccess(read, "exports:write"))).toBe(
      `FORBIDDEN ${lacksScope("exports:write")}`,
    );
    expect(denied(() => assertAccess(read, "all-scopes"))).toBe(
      "FORBIDDEN This key lacks the scope exports:write.",
    );
    const write = { via: "token" as const, scopes: ["exports:write"] };
    expect(denied(() => assertAccess(write, "all-scopes"))).toBe(
      "FORBIDDEN This key lacks the scope exports:read.",
    );
    const both = { via: "token" as const, scopes: [...SCOPES] };
    expect(denied(() => assertAccess(both, "all-scopes"))).toBe("allowed");
    expect(denied(() => assertAccess(both, "session"))).toBe(`FORBIDDEN ${SESSION_ONLY}`);
  });

  it("first-start and CLI keys hold every scope and never expire", async () => {
    expect(await authenticateToken(t.db, `Token ${alice.token}`)).toMatchObject({ scopes: [...SCOPES] });
    const cli = await createTokenForUsername(t.db, "alice");
    expect((await authenticateToken(t.db, `Token ${cli.token}`)).scopes).toEqual([...SCOPES]);
    const keys = await listApiKeys(t.db, actorOf(alice));
    expect(keys.map((k) => [k.name, k.scopes, k.expires_at])).toEqual([
      ["CLI", [...SCOPES], null],
      ["First key", [...SCOPES], null],
    ]);
    // The CLI's key is an event with no actor (a shell on the host).
    // Both keys are events with no actor (a shell on the host), the first one's with its user's creation.
    const created = (await eventsOf(alice.id)).filter((e) => e.type === "token.created");
    expect(created.map((e) => [e.actorId, e.detail.name])).toEqual([
      [null, "First key"],
      [null, "CLI"],
    ]);
  });
});

describe("createApiKey", () => {
  it("creates a key shown once, stored hashed, listed without its secret, with an event by its creator", async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const created = await createApiKey(
      t.db,
      actorOf(bob),
      { name: " reports ", scopes: ["exports:write", "exports:read", "exports:read"], expires_at: expiresAt },
      CONFIG,
    );
    expect(created).toMatchObject({
      name: "reports",
      scopes: ["exports:read", "exports:write"],
      expires_at: expiresAt,
      last_used_at: null,
      key_prefix: created.token.slice(0, 8),
    });
    expect(created.token).toMatch(/^[0-9a-f]{40}$/);
    const listed = await listApiKeys(t.db, actorOf(bob));
    expect(listed[0]).toEqual({ ...created, token: undefined });
    expect(JSON.stringify(listed)).not.toContain(created.token);
    const [row] = await t.db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
    expect(JSON.stringify(row)).not.toContain(created.token);
    expect((await authenticateHeader(t.db, `Token ${created.token}`)).id).toBe(bob.id);
    const events = (await eventsOf(bob.id)).filter((e) => e.tokenId === created.id);
    expect(events).toMatchObject([
      {
        type: "token.created",
        actorId: bob.id,
        detail: { name: "reports", scopes: ["exports:read", "exports:write"], expires_at: expiresAt },
      },
    ]);
    expect(JSON.stringify(events)).not.toContain(created.token);
  });

  it("defaults to both scopes and no expiry", async () => {
    const key = await createApiKey(t.db, actorOf(bob), { name: "default" }, CONFIG);
    expect(key).toMatchObject({ scopes: [...SCOPES], expires_at: null });
  });

  it("refuses a past expiry, a bad date, an unknown or empty scope list and a blank name, creating nothing", async () => {
    const before = (await listApiKeys(t.db, actorOf(bob))).length;
    const createdEvents = async () =>
      (
        await t.db
          .select({ n: sql<number>`count(*)::int` })
          .from(accountEvents)
          .where(and(eq(accountEvents.userId, bob.id), eq(accountEvents.type, "token.created")))
      )[0]?.n;
    const eventsBefore = await createdEvents();
    const fields = async (input: unknown) =>
      (await domainError(createApiKey(t.db, actorOf(bob), input, CONFIG))).fields;
    expect(await fields({ name: "x", expires_at: new Date(Date.now() - 1000).toISOString() })).toEqual({
      expires_at: ["Must be in the future."],
    });
    expect(Object.keys((await fields({ name: "x", expires_at: "tomorrow" })) ?? {})).toEqual(["expires_at"]);
    expect(await fields({ name: "x", scopes: ["exports:admin"] })).toEqual({
      scopes: ['Item 1: "exports:admin" is not a valid choice.'],
    });
    expect(await fields({ name: "x", scopes: [] })).toEqual({ scopes: ["Choose at least one scope."] });
    expect(Object.keys((await fields({ name: "  " })) ?? {})).toEqual(["name"]);
    expect(Object.keys((await fields({ name: "x", user_id: alice.id })) ?? {})).toEqual(["non_field_errors"]);
    expect((await listApiKeys(t.db, actorOf(bob))).length).toBe(before);
    // A past expiry was rolled back with its event.
    expect(await createdEvents()).toBe(eventsBefore);
  });

  it("is throttled per user, as sign-in is (429 with Retry-After)", async () => {
    const user = await createUser(t.db, { username: "minter" });
    const tight = { creationsPerWindow: 2, windowSeconds: 900 };
    await createApiKey(t.db, actorOf(user), { name: "1" }, tight);
    await createApiKey(t.db, actorOf(user), { name: "2" }, tight);
    const err = await domainError(createApiKey(t.db, actorOf(user), { name: "3" }, tight));
    expect(err.code).toBe("TOO_MANY_REQUESTS");
    expect(err.detail).toMatch(/^Too many API keys created\. Try again in \d+ (seconds|second)\.$/);
    expect(err.retryAfter).toBeGreaterThan(0);
    // Another user is not affected.
    const other = await createUser(t.db, { username: "minter2" });
    await createApiKey(t.db, actorOf(other), { name: "unaffected" }, tight);
  });
});

describe("expiry and revoke", () => {
  it("an expired key is 401 Token expired. (the database's clock), before any scope check", async () => {
    const key = await createApiKey(t.db, actorOf(alice), { name: "soon", scopes: ["exports:read"] }, CONFIG);
    expect((await authenticateHeader(t.db, `Token ${key.token}`)).id).toBe(alice.id);
    await t.db
      .update(apiTokens)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(apiTokens.id, key.id));
    const err = await domainError(authenticateHeader(t.db, `Token ${key.token}`));
    expect([err.code, err.detail]).toEqual(["UNAUTHENTICATED", TOKEN_EXPIRED]);
    // The retrieve's folded lookup says the same, even for an operation the key lacks the scope of.
    const retrieve = await domainError(
      findExportJsonForToken(t.db, `Token ${key.token}`, crypto.randomUUID(), "exports:write"),
    );
    expect([retrieve.code, retrieve.detail]).toEqual(["UNAUTHENTICATED", TOKEN_EXPIRED]);
  });

  it("the retrieve's folded lookup refuses a key lacking the route's scope with 403, before 404", async () => {
    const key = await createApiKey(t.db, actorOf(alice), { name: "w", scopes: ["exports:write"] }, CONFIG);
    for (const id of [crypto.randomUUID(), "not-a-uuid"]) {
      const err = await domainError(findExportJsonForToken(t.db, `Token ${key.token}`, id, "exports:read"));
      expect([err.code, err.detail]).toEqual(["FORBIDDEN", lacksScope("exports:read")]);
    }
  });

  it("revoke is at once, own keys only (a superuser's too: 404), with an event", async () => {
    const key = await createApiKey(t.db, actorOf(alice), { name: "gone" }, CONFIG);
    for (const other of [bob, root]) {
      expect((await domainError(revokeApiKey(t.db, actorOf(other), key.id))).code).toBe("NOT_FOUND");
    }
    expect((await domainError(revokeApiKey(t.db, actorOf(alice), "nope"))).code).toBe("NOT_FOUND");
    expect((await authenticateHeader(t.db, `Token ${key.token}`)).id).toBe(alice.id);
    await revokeApiKey(t.db, actorOf(alice), key.id);
    const err = await domainError(authenticateHeader(t.db, `Token ${key.token}`));
    expect([err.code, err.detail]).toEqual(["UNAUTHENTICATED", "Invalid token."]);
    expect((await listApiKeys(t.db, actorOf(alice))).map((k) => k.id)).not.toContain(key.id);
    expect((await domainError(revokeApiKey(t.db, actorOf(alice), key.id))).code).toBe("NOT_FOUND");
    const events = (await eventsOf(alice.id))
      .filter((e) => e.tokenId === key.id)
      .map((e) => [e.type, e.actorId]);
    expect(events).toEqual([
      ["token.created", alice.id],
      ["token.revoked", alice.id],
    ]);
  });
});

describe("changePassword", () => {
  const NEW_PASSWORD = "a brand new passphrase";

  it("needs the current password; ends the user's other sessions, keeps this one and the keys; writes an event", async () => {
    const user = await createUser(t.db, { username: "carol", password: PASSWORD });
    const here = await signIn(t.db, { username: "carol", password: PASSWORD }, SESSIONS);
    const elsewhere = await signIn(t.db, { username: "carol", password: PASSWORD }, SESSIONS);
    const bystander = await signIn(t.db, { username: "alice", password: PASSWORD }, SESSIONS);
    const hereSession = await authenticateSession(t.db, here.secret, SESSIONS);
    const actor = actorOf(user);
    const options = { keepSessionId: hereSession.id };

    const wrong = await domainError(
      changePassword(
        t.db,
        actor,
        { current_password: "not it", new_password: NEW_PASSWORD },
        options,
        SESSIONS,
      ),
    );
    expect(wrong.fields).toEqual({ current_password: [WRONG_CURRENT_PASSWORD] });
    const short = await domainError(
      changePassword(t.db, actor, { current_password: PASSWORD, new_password: "short" }, options, SESSIONS),
    );
    expect(Object.keys(short.fields ?? {})).toEqual(["new_password"]);
    // Nothing changed yet: both sessions live.
    await authenticateSession(t.db, elsewhere.secret, SESSIONS);

    expect(
      await changePassword(
        t.db,
        actor,
        { current_password: PASSWORD, new_password: NEW_PASSWORD },
        options,
        SESSIONS,
      ),
    ).toEqual({ sessions_ended: 1 });
    expect((await authenticateSession(t.db, here.secret, SESSIONS)).actor.id).toBe(user.id);
    expect((await domainError(authenticateSession(t.db, elsewhere.secret, SESSIONS))).code).toBe(
      "UNAUTHENTICATED",
    );
    expect((await authenticateSession(t.db, bystander.secret, SESSIONS)).actor.username).toBe("alice");
    expect((await authenticateHeader(t.db, `Token ${user.token}`)).id).toBe(user.id);
    // The new password signs in; the old one does not.
    await signIn(t.db, { username: "carol", password: NEW_PASSWORD }, SESSIONS);
    expect((await domainError(signIn(t.db, { username: "carol", password: PASSWORD }, SESSIONS))).code).toBe(
      "UNAUTHENTICATED",
    );
    const events = (await eventsOf(user.id)).filter((e) => e.type === "user.password_changed");
    expect(events).toMatchObject([{ actorId: user.id, detail: { sessions_ended: 1 } }]);
    expect(JSON.stringify(events)).not.toContain(NEW_PASSWORD);
  });

  it("counts wrong current passwords as failed sign-ins (throttled)", async () => {
    const user = await createUser(t.db, { username: "dave", password: PASSWORD });
    const attempt = () =>
      domainError(
        changePassword(
          t.db,
          actorOf(user),
          { current_password: "guess", new_password: NEW_PASSWORD },
          { keepSessionId: null },
          SESSIONS,
        ),
      );
    for (let i = 0; i < SESSIONS.maxFailuresPerUser; i++) expect((await attempt()).code).toBe("INVALID");
    expect((await attempt()).code).toBe("TOO_MANY_REQUESTS");
  });
});
