import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertCsrfToken,
  authenticateSession,
  CSRF_INVALID,
  csrfTokenMatches,
  hashSessionSecret,
  INVALID_CREDENTIALS,
  SESSION_EXPIRED,
  type SessionConfig,
  sessionConfigFromEnv,
  signIn,
  signOut,
} from "../src/auth/sessions";
import { tooManySignInsMessage } from "../src/auth/throttle";
import { authenticateHeader } from "../src/auth/token-actor";
import { createUser } from "../src/auth/users";
import { setUserActive } from "../src/auth/users-admin";
import { loginThrottle, sessions } from "../src/db/schema";
import { parseEnv } from "../src/env";
import { DomainError } from "../src/errors";
import { createTestDatabase, type TestDatabase } from "../src/testing";

let t: TestDatabase;
const PASSWORD = "correct horse battery staple";

/** Generous limits, so that only the throttling tests are throttled (each uses its own usernames/addresses). */
const CONFIG: SessionConfig = {
  ttlSeconds: 12 * 3600,
  maxAgeSeconds: 7 * 24 * 3600,
  maxFailuresPerUser: 5,
  maxFailuresPerAddress: 20,
  windowSeconds: 900,
};

async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error("expected a DomainError");
}

let addressCounter = 0;
/** A client address of its own for each test, so that per-address counts do not leak between tests. */
const freshIp = () => `10.0.${Math.floor(++addressCounter / 250)}.${addressCounter % 250}`;

async function sessionRow(secret: string) {
  return t.db.query.sessions.findFirst({ where: eq(sessions.id, hashSessionSecret(secret)) });
}

beforeAll(async () => {
  t = await createTestDatabase();
  await createUser(t.db, { username: "alice", password: PASSWORD });
  await createUser(t.db, { username: "root", password: PASSWORD, isSuperuser: true });
  await createUser(t.db, { username: "tokenonly" });
  for (const name of ["carol", "dave", "erin", "frank", "grace", "heidi"]) {
    await createUser(t.db, { username: name, password: PASSWORD });
  }
});

afterAll(async () => {
  await t?.destroy();
});

describe("configuration", () => {
  it("reads the session and throttling settings from the environment, with defaults", () => {
    expect(sessionConfigFromEnv(parseEnv({}))).toEqual({
      ttlSeconds: 12 * 3600,
      maxAgeSeconds: 168 * 3600,
      maxFailuresPerUser: 5,
      maxFailuresPerAddress: 20,
      windowSeconds: 900,
    });
    const custom = parseEnv({
      SESSION_TTL_HOURS: "0.5",
      SESSION_MAX_AGE_HOURS: "24",
      LOGIN_MAX_FAILURES_PER_USER: "3",
      LOGIN_MAX_FAILURES_PER_ADDRESS: "10",
      LOGIN_THROTTLE_WINDOW_SECONDS: "60",
      NUM_PROXIES: "1",
    });
    expect(sessionConfigFromEnv(custom)).toMatchObject({ ttlSeconds: 1800, maxAgeSeconds: 86400 });
    expect(custom.NUM_PROXIES).toBe(1);
    expect(() => parseEnv({ SESSION_TTL_HOURS: "soon" })).toThrow(/SESSION_TTL_HOURS/);
    expect(() => parseEnv({ LOGIN_MAX_FAILURES_PER_USER: "0" })).toThrow(/LOGIN_MAX_FAILURES_PER_USER/);
  });
});

describe("a deactivated user (issue 17: users.is_active)", () => {
  it("cannot sign in; their session and token authenticate nobody; activated again, the token does (the session ended: issue 18)", async () => {
    const { token } = await createUser(t.db, { username: "dora", password: PASSWORD });
    const s = await signIn(t.db, { username: "dora", password: PASSWORD, ip: freshIp() }, CONFIG);
    expect(await setUserActive(t.db, "dora", false)).toEqual({ username: "dora", is_active: false });
    expect(
      (await domainError(signIn(t.db, { username: "dora", password: PASSWORD, ip: freshIp() }, CONFIG))).code,
    ).toBe("UNAUTHENTICATED");
    expect((await domainError(authenticateSession(t.db, s.secret, CONFIG))).code).toBe("UNAUTHENTICATED");
    expect((await domainError(authenticateHeader(t.db, `Token ${token}`))).detail).toBe("Invalid token.");
    await setUserActive(t.db, "dora", true);
    expect((await domainError(authenticateSession(t.db, s.secret, CONFIG))).code).toBe("UNAUTHENTICATED");
    expect((await authenticateHeader(t.db, `Token ${token}`)).username).toBe("dora");
    expect((await domainError(setUserActive(t.db, "nobody", false))).code).toBe("NOT_FOUND");
  });
});

describe("signIn", () => {
  it("creates a session: a random secret, a CSRF token, the actor, the expiries; only the hash is stored", async () => {
    const s = await signIn(
      t.db,
      { username: "alice", password: PASSWORD, ip: freshIp(), userAgent: "Vitest/4" },
      CONFIG,
    );
    expect(s.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.csrfToken).not.toBe(s.secret);
    expect(s.actor).toMatchObject({ username: "alice", isSuperuser: false });
    const ttl = s.expiresAt.getTime() - Date.now();
    expect(ttl).toBeGreaterThan(12 * 3600_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(12 * 3600_000 + 5_000);
    expect(s.maxExpiresAt.getTime() - Date.now()).toBeGreaterThan(7 * 24 * 3600_000 - 60_000);

    const row = await sessionRow(s.secret);
    expect(row).toMatchObject({ userId: s.actor.id, csrfToken: s.csrfToken, userAgent: "Vitest/4" });
    const all = await t.db.select().from(sessions);
    expect(JSON.stringify(all)).not.toContain(s.secret);
  });

  it("answers wrong credentials the same way, whatever was wrong (no user enumeration)", async () => {
    for (const [username, password] of [
      ["alice", "wrong password"],
      ["nobody", PASSWORD],
      ["tokenonly", PASSWORD], // a token-only account has no password
      ["ALICE", PASSWORD], // usernames are exact
      ["bad name with spaces", PASSWORD],
    ] as const) {
      const err = await domainError(signIn(t.db, { username, password, ip: freshIp() }, CONFIG));
      expect(err.code, username).toBe("UNAUTHENTICATED");
      expect(err.detail).toBe(INVALID_CREDENTIALS);
    }
  });

  it("refuses a blank or oversized input with field errors, before counting an attempt", async () => {
    const err = await domainError(
      signIn(t.db, { username: "", password: "x".repeat(1025), ip: freshIp() }, CONFIG),
    );
    expect(err.code).toBe("INVALID");
    expect(err.fields).toEqual({
      username: ["This field may not be blank."],
      password: ["Ensure this field has no more than 1024 characters."],
    });
    const nul = await domainError(signIn(t.db, { username: "a\u0000", password: PASSWORD }, CONFIG));
    expect(nul.fields).toEqual({ username: ["Null characters are not allowed."] });
    const missing = await domainError(signIn(t.db, { username: "alice" } as never, CONFIG));
    expect(missing.fields).toEqual({ password: ["This field is required."] });
  });

  it("rotates: every sign-in is a new session, and the presented one is revoked", async () => {
    const first = await signIn(t.db, { username: "alice", password: PASSWORD }, CONFIG);
    const other = await signIn(t.db, { username: "alice", password: PASSWORD }, CONFIG);
    const second = await signIn(
      t.db,
      { username: "alice", password: PASSWORD, previousSecret: first.secret },
      CONFIG,
    );
    expect(second.secret).not.toBe(first.secret);
    expect(second.csrfToken).not.toBe(first.csrfToken);
    expect((await domainError(authenticateSession(t.db, first.secret, CONFIG))).detail).toBe(SESSION_EXPIRED);
    expect((await authenticateSession(t.db, second.secret, CONFIG)).actor.username).toBe("alice");
    // Sessions in other browsers are not touched.
    expect((await authenticateSession(t.db, other.secret, CONFIG)).actor.username).toBe("alice");
  });
});

describe("authenticateSession", () => {
  it("returns the actor and the session's CSRF token", async () => {
    const s = await signIn(t.db, { username: "root", password: PASSWORD }, CONFIG);
    const session = await authenticateSession(t.db, s.secret, CONFIG);
    expect(session.actor).toEqual(s.actor);
    expect(session.actor.isSuperuser).toBe(true);
    expect(session.csrfToken).toBe(s.csrfToken);
    expect(session.id).toBe(hashSessionSecret(s.secret));
  });

  it("refuses unknown, malformed and missing secrets without an error other than UNAUTHENTICATED", async () => {
    for (const secret of [
      undefined,
      null,
      "",
      "x",
      "A".repeat(43),
      "'; drop table sessions; --",
      "é".repeat(43),
    ]) {
      const err = await domainError(authenticateSession(t.db, secret, CONFIG));
      expect(err.code).toBe("UNAUTHENTICATED");
      expect(err.detail).toBe(SESSION_EXPIRED);
    }
  });

  it("slides the expiry forward on use, at most once per resolution step", async () => {
    const s = await signIn(t.db, { username: "carol", password: PASSWORD }, CONFIG);
    const id = hashSessionSecret(s.secret);
    // Used a moment ago: nothing is written.
    const before = await sessionRow(s.secret);
    await authenticateSession(t.db, s.secret, CONFIG);
    expect((await sessionRow(s.secret))?.expiresAt).toEqual(before?.expiresAt);

    // Last used two hours ago, ten hours left: the next use moves the expiry to now + 12 h.
    await t.db
      .update(sessions)
      .set({ lastSeenAt: sql`now() - interval '2 hours'`, expiresAt: sql`now() + interval '10 hours'` })
      .where(eq(sessions.id, id));
    const session = await authenticateSession(t.db, s.secret, CONFIG);
    const left = session.expiresAt.getTime() - Date.now();
    expect(left).toBeGreaterThan(12 * 3600_000 - 60_000);
    const row = await sessionRow(s.secret);
    expect(row?.expiresAt).toEqual(session.expiresAt);
    expect(Date.now() - (row?.lastSeenAt.getTime() ?? 0)).toBeLessThan(60_000);
  });

  it("never slides past the absolute maximum age", async () => {
    const s = await signIn(t.db, { username: "carol", password: PASSWORD }, CONFIG);
    const id = hashSessionSecret(s.secret);
    // Signed in 7 days minus 1 hour ago, in use all along: one hour left, however active.
    await t.db
      .update(sessions)
      .set({
        createdDate: sql`now() - interval '167 hours'`,
        lastSeenAt: sql`now() - interval '5 minutes'`,
      })
      .where(eq(sessions.id, id));
    const session = await authenticateSession(t.db, s.secret, CONFIG);
    const left = session.expiresAt.getTime() - Date.now();
    expect(left).toBeGreaterThan(3600_000 - 60_000);
    expect(left).toBeLessThan(3600_000 + 60_000);
  });

  it("refuses an expired session and deletes it", async () => {
    const s = await signIn(t.db, { username: "carol", password: PASSWORD }, CONFIG);
    await t.db
      .update(sessions)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(sessions.id, hashSessionSecret(s.secret)));
    const err = await domainError(authenticateSession(t.db, s.secret, CONFIG));
    expect(err.code).toBe("UNAUTHENTICATED");
    expect(err.detail).toBe(SESSION_EXPIRED);
    expect(await sessionRow(s.secret)).toBeUndefined();
  });

  it("expires a session left unused for longer than the TTL (a short TTL, for real)", async () => {
    const short = { ...CONFIG, ttlSeconds: 1 };
    const s = await signIn(t.db, { username: "carol", password: PASSWORD }, short);
    expect((await authenticateSession(t.db, s.secret, short)).actor.username).toBe("carol");
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await domainError(authenticateSession(t.db, s.secret, short))).code).toBe("UNAUTHENTICATED");
  });

  it("sign-in sweeps expired sessions", async () => {
    const s = await signIn(t.db, { username: "carol", password: PASSWORD }, CONFIG);
    await t.db
      .update(sessions)
      .set({ expiresAt: sql`now() - interval '1 day'` })
      .where(eq(sessions.id, hashSessionSecret(s.secret)));
    await signIn(t.db, { username: "dave", password: PASSWORD }, CONFIG);
    expect(await sessionRow(s.secret)).toBeUndefined();
  });

  it("dies with its user", async () => {
    const u = await createUser(t.db, { username: "leaving", password: PASSWORD });
    const s = await signIn(t.db, { username: "leaving", password: PASSWORD }, CONFIG);
    await t.db.execute(sql`delete from users where id = ${u.id}`);
    expect((await domainError(authenticateSession(t.db, s.secret, CONFIG))).code).toBe("UNAUTHENTICATED");
  });
});

describe("signOut", () => {
  it("deletes the session: the secret no longer authenticates", async () => {
    const s = await signIn(t.db, { username: "dave", password: PASSWORD }, CONFIG);
    expect(await signOut(t.db, s.secret)).toBe(true);
    expect(await sessionRow(s.secret)).toBeUndefined();
    expect((await domainError(authenticateSession(t.db, s.secret, CONFIG))).detail).toBe(SESSION_EXPIRED);
    expect(await signOut(t.db, s.secret)).toBe(false);
    expect(await signOut(t.db, "nonsense")).toBe(false);
    expect(await signOut(t.db, null)).toBe(false);
  });
});

describe("throttling", () => {
  async function attempts(username: string, ip: string | null, password: string, n: number) {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      try {
        await signIn(t.db, { username, password, ip }, CONFIG);
        out.push("ok");
      } catch (err) {
        out.push((err as DomainError).code);
      }
    }
    return out;
  }

  it("words the wait for a person", () => {
    expect(tooManySignInsMessage(42)).toBe("Too many failed sign-ins. Try again in 42 seconds.");
    expect(tooManySignInsMessage(0.2)).toBe("Too many failed sign-ins. Try again in 1 second.");
    expect(tooManySignInsMessage(41.2)).toBe("Too many failed sign-ins. Try again in 42 seconds.");
    expect(tooManySignInsMessage(900)).toBe("Too many failed sign-ins. Try again in 15 minutes.");
  });

  it("per username: after 5 failures, 429 with the wait, even for the right password and from another address", async () => {
    expect(await attempts("erin", freshIp(), "wrong password", 5)).toEqual(Array(5).fill("UNAUTHENTICATED"));
    const err = await domainError(
      signIn(t.db, { username: "erin", password: PASSWORD, ip: freshIp() }, CONFIG),
    );
    expect(err.code).toBe("TOO_MANY_REQUESTS");
    expect(err.retryAfter).toBeGreaterThan(890);
    expect(err.retryAfter).toBeLessThanOrEqual(900);
    expect(err.detail).toBe(tooManySignInsMessage(err.retryAfter ?? 0));
    expect(err.detail).toMatch(/^Too many failed sign-ins\. Try again in 15 minutes\.$/);
    // Another user is not affected; nor is the same name in other letter cases spared.
    expect(await attempts("frank", freshIp(), PASSWORD, 1)).toEqual(["ok"]);
    expect(await attempts("ERIN", freshIp(), PASSWORD, 1)).toEqual(["TOO_MANY_REQUESTS"]);
  });

  it("tells the seconds left when the window is nearly over, and lets the user in once it is", async () => {
    expect(await attempts("grace", freshIp(), "wrong password", 5)).toEqual(Array(5).fill("UNAUTHENTICATED"));
    // The window started 858 seconds ago (of 900): 42 seconds to wait.
    await t.db
      .update(loginThrottle)
      .set({ windowStartedAt: sql`now() - interval '858 seconds'` })
      .where(eq(loginThrottle.key, "grace"));
    const err = await domainError(
      signIn(t.db, { username: "grace", password: PASSWORD, ip: freshIp() }, CONFIG),
    );
    expect(err.code).toBe("TOO_MANY_REQUESTS");
    expect(err.retryAfter).toBe(42);
    expect(err.detail).toBe("Too many failed sign-ins. Try again in 42 seconds.");

    await t.db
      .update(loginThrottle)
      .set({ windowStartedAt: sql`now() - interval '901 seconds'` })
      .where(eq(loginThrottle.key, "grace"));
    expect(await attempts("grace", freshIp(), PASSWORD, 1)).toEqual(["ok"]);
  });

  it("a successful sign-in resets the username's count", async () => {
    const ip = freshIp();
    expect(await attempts("heidi", ip, "wrong password", 4)).toEqual(Array(4).fill("UNAUTHENTICATED"));
    expect(await attempts("heidi", ip, PASSWORD, 1)).toEqual(["ok"]);
    expect(await attempts("heidi", ip, "wrong password", 5)).toEqual(Array(5).fill("UNAUTHENTICATED"));
    expect(await attempts("heidi", ip, PASSWORD, 1)).toEqual(["TOO_MANY_REQUESTS"]);
  });

  it("per address: 20 failures across many usernames, then 429 for everyone from that address", async () => {
    const ip = freshIp();
    const results: string[] = [];
    for (let i = 0; i < 20; i++) results.push(...(await attempts(`spray${i}`, ip, "Winter2025!", 1)));
    expect(results).toEqual(Array(20).fill("UNAUTHENTICATED"));
    const err = await domainError(signIn(t.db, { username: "dave", password: PASSWORD, ip }, CONFIG));
    expect(err.code).toBe("TOO_MANY_REQUESTS");
    expect(err.retryAfter).toBeGreaterThan(0);
    expect(err.detail).toMatch(/^Too many failed sign-ins\. Try again in \d+ (seconds|minutes)\.$/);
    // The same user from another address is fine.
    expect(await attempts("dave", freshIp(), PASSWORD, 1)).toEqual(["ok"]);
  });

  it("successful sign-ins from a shared address do not use up its allowance", async () => {
    const ip = freshIp();
    expect(await attempts("dave", ip, PASSWORD, 30)).toEqual(Array(30).fill("ok"));
  });

  it("holds the limit under concurrency: 30 parallel guesses, at most 5 checked", async () => {
    const ip = freshIp();
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => signIn(t.db, { username: "frank", password: "guess", ip }, CONFIG)),
    );
    const codes = results.map((r) => (r.status === "rejected" ? (r.reason as DomainError).code : "ok"));
    expect(codes.filter((c) => c === "UNAUTHENTICATED")).toHaveLength(5);
    expect(codes.filter((c) => c === "TOO_MANY_REQUESTS")).toHaveLength(25);
  });

  it("counts only the username when the address is unknown", async () => {
    const u = await createUser(t.db, { username: "noaddress", password: PASSWORD });
    expect(u.username).toBe("noaddress");
    expect(await attempts("noaddress", null, "wrong password", 5)).toEqual(Array(5).fill("UNAUTHENTICATED"));
    expect(await attempts("noaddress", null, PASSWORD, 1)).toEqual(["TOO_MANY_REQUESTS"]);
    const rows = await t.db.select().from(loginThrottle).where(eq(loginThrottle.key, "noaddress"));
    expect(rows.map((r) => r.scope)).toEqual(["username"]);
  });

  it("sweeps counts whose window has ended", async () => {
    await t.db.insert(loginThrottle).values({
      scope: "address",
      key: "192.0.2.1",
      attempts: 99,
      windowStartedAt: sql`now() - interval '1 hour'`,
    });
    await attempts("dave", freshIp(), PASSWORD, 1);
    const rows = await t.db.select().from(loginThrottle).where(eq(loginThrottle.key, "192.0.2.1"));
    expect(rows).toEqual([]);
  });
});

describe("CSRF tokens", () => {
  it("match only exactly, whatever the lengths", () => {
    expect(csrfTokenMatches("abc", "abc")).toBe(true);
    expect(csrfTokenMatches("abc", "abd")).toBe(false);
    expect(csrfTokenMatches("abc", "abcd")).toBe(false);
    expect(csrfTokenMatches("abc", "")).toBe(false);
    expect(csrfTokenMatches("abc", null)).toBe(false);
    expect(csrfTokenMatches("abc", undefined)).toBe(false);
    expect(csrfTokenMatches("", "")).toBe(false);
  });

  it("a mismatch is FORBIDDEN with a message a person understands", () => {
    expect(() => assertCsrfToken("abc", "abc")).not.toThrow();
    try {
      assertCsrfToken("abc", "nope");
      throw new Error("expected a DomainError");
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe("FORBIDDEN");
      expect((err as DomainError).detail).toBe(CSRF_INVALID);
      expect(CSRF_INVALID).toBe("CSRF token missing or invalid.");
    }
  });
});
