import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../src/auth/passwords";
import { parseAuthorization } from "../src/auth/tokens";
import {
  authenticateHeader,
  type CreatedUser,
  countUsers,
  createTokenForUsername,
  createUser,
  verifyCredentials,
} from "../src/auth/users";
import { apiTokens, users } from "../src/db/schema";
import { DomainError } from "../src/errors";
import { createTestDatabase, type TestDatabase } from "../src/testing";

let t: TestDatabase;
let alice: CreatedUser;
let root: CreatedUser;
const PASSWORD = "correct horse battery staple";

async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error("expected a DomainError");
}

async function unauthenticatedDetail(header: string | null | undefined): Promise<string> {
  const err = await domainError(authenticateHeader(t.db, header));
  expect(err.code).toBe("UNAUTHENTICATED");
  return err.detail;
}

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createUser(t.db, { username: "alice", password: PASSWORD });
  root = await createUser(t.db, { username: "root", isSuperuser: true });
});

afterAll(async () => {
  await t?.destroy();
});

describe("createUser", () => {
  it("creates a user and a first token of 40 hex characters", () => {
    expect(alice).toMatchObject({ username: "alice", is_superuser: false });
    expect(alice.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(alice.token).toMatch(/^[0-9a-f]{40}$/);
    expect(root.is_superuser).toBe(true);
    expect(root.token).not.toBe(alice.token);
  });

  it("refuses a duplicate username and creates nothing", async () => {
    const users0 = await countUsers(t.db);
    const [tokens0] = await t.db.select({ n: sql<number>`count(*)::int` }).from(apiTokens);
    const err = await domainError(createUser(t.db, { username: "alice", password: "another password" }));
    expect(err.code).toBe("INVALID");
    expect(err.fields).toEqual({ username: ["A user with that username already exists."] });
    expect(await countUsers(t.db)).toBe(users0);
    const [tokens1] = await t.db.select({ n: sql<number>`count(*)::int` }).from(apiTokens);
    expect(tokens1?.n).toBe(tokens0?.n);
  });

  it("refuses an invalid username or a short password", async () => {
    const bad = await domainError(createUser(t.db, { username: "has space" }));
    expect(bad.code).toBe("INVALID");
    expect(Object.keys(bad.fields ?? {})).toEqual(["username"]);
    const blank = await domainError(createUser(t.db, { username: "" }));
    expect(blank.code).toBe("INVALID");
    expect(Object.keys(blank.fields ?? {})).toEqual(["username"]);
    const short = await domainError(createUser(t.db, { username: "shorty", password: "1234567" }));
    expect(short.fields).toEqual({ password: ["Ensure this field has at least 8 characters."] });
  });
});

describe("authenticateHeader", () => {
  it("accepts `Token <key>` and returns the actor", async () => {
    expect(await authenticateHeader(t.db, `Token ${alice.token}`)).toEqual({
      id: alice.id,
      username: "alice",
      isSuperuser: false,
    });
    expect(await authenticateHeader(t.db, `Token ${root.token}`)).toEqual({
      id: root.id,
      username: "root",
      isSuperuser: true,
    });
    expect((await authenticateHeader(t.db, `  Token   ${alice.token}  `)).id).toBe(alice.id);
  });

  it("answers 'not provided' without a Token header", async () => {
    for (const header of [
      undefined,
      null,
      "",
      "   ",
      "Bearer x",
      `Bearer ${alice.token}`,
      "Basic YWxpY2U6cHc=",
    ]) {
      expect(await unauthenticatedDetail(header)).toBe("Authentication credentials were not provided.");
    }
  });

  it("refuses a malformed Token header with DRF's messages", async () => {
    expect(await unauthenticatedDetail("Token")).toBe("Invalid token header. No credentials provided.");
    expect(await unauthenticatedDetail("Token ")).toBe("Invalid token header. No credentials provided.");
    expect(await unauthenticatedDetail("Token a b")).toBe(
      "Invalid token header. Token string should not contain spaces.",
    );
    expect(await unauthenticatedDetail(`Token ${alice.token} extra`)).toBe(
      "Invalid token header. Token string should not contain spaces.",
    );
  });

  it("answers 'Invalid token.' for a key it never issued", async () => {
    expect(await unauthenticatedDetail(`Token ${"0".repeat(40)}`)).toBe("Invalid token.");
    expect(await unauthenticatedDetail("Token abc")).toBe("Invalid token.");
    expect(await unauthenticatedDetail(`Token ${alice.token.toUpperCase()}`)).toBe("Invalid token.");
    expect(await unauthenticatedDetail(`Token ${alice.token.slice(1)}x`)).toBe("Invalid token.");
  });

  it("maps to 401 with the same body on both doors", async () => {
    const err = await domainError(authenticateHeader(t.db, "Token nope"));
    expect(err.body()).toEqual({ detail: "Invalid token." });
  });

  it("parses headers without touching the database", () => {
    expect(parseAuthorization(`token ${alice.token}`)).toEqual({ kind: "token", key: alice.token });
    expect(parseAuthorization("Bearer x")).toEqual({ kind: "none" });
  });
});

describe("token storage", () => {
  it("stores only the SHA-256 of the key, never the key", async () => {
    const dump = await t.db.execute<{ row: string }>(
      sql`select row_to_json(t)::text as row from api_tokens t`,
    );
    expect(dump.rows.length).toBeGreaterThanOrEqual(2);
    for (const { row } of dump.rows) {
      expect(row).not.toContain(alice.token);
      expect(row).not.toContain(root.token);
    }
    const [stored] = await t.db.select().from(apiTokens).where(eq(apiTokens.userId, alice.id));
    expect(stored?.keyHash).toBe(createHash("sha256").update(alice.token).digest("hex"));
    expect(stored?.keyPrefix).toBe(alice.token.slice(0, 8));
    const [u] = await t.db.select().from(users).where(eq(users.id, alice.id));
    expect(JSON.stringify(u)).not.toContain(alice.token);
    expect(u?.passwordHash).not.toContain(PASSWORD);
  });

  it("sets last_used_at on use, at most once a minute", async () => {
    const { token, id } = await createUser(t.db, { username: "fresh" });
    const read = async () =>
      (await t.db.select().from(apiTokens).where(eq(apiTokens.userId, id)))[0]?.lastUsedAt;
    expect(await read()).toBeNull();
    const before = Date.now();
    await authenticateHeader(t.db, `Token ${token}`);
    const first = await read();
    expect(first).toBeInstanceOf(Date);
    expect(Math.abs((first?.getTime() ?? 0) - before)).toBeLessThan(10_000);
    await authenticateHeader(t.db, `Token ${token}`);
    expect(await read()).toEqual(first);
    // Once the last use is older than a minute, it is written again.
    await t.db
      .update(apiTokens)
      .set({ lastUsedAt: new Date(Date.now() - 120_000) })
      .where(eq(apiTokens.userId, id));
    await authenticateHeader(t.db, `Token ${token}`);
    expect(Math.abs(((await read())?.getTime() ?? 0) - Date.now())).toBeLessThan(10_000);
  });

  it("issues further tokens by username, each of which works", async () => {
    const extra = await createTokenForUsername(t.db, "alice");
    expect(extra.token).toMatch(/^[0-9a-f]{40}$/);
    expect(extra.token).not.toBe(alice.token);
    expect((await authenticateHeader(t.db, `Token ${extra.token}`)).id).toBe(alice.id);
    expect((await authenticateHeader(t.db, `Token ${alice.token}`)).id).toBe(alice.id);
    expect((await domainError(createTokenForUsername(t.db, "nobody"))).code).toBe("NOT_FOUND");
  });
});

describe("passwords", () => {
  it("hashes with scrypt and a random salt, and verifies", async () => {
    const a = await hashPassword("s3cret-pass");
    const b = await hashPassword("s3cret-pass");
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain("s3cret-pass");
    expect(await verifyPassword("s3cret-pass", a)).toBe(true);
    expect(await verifyPassword("s3cret-pass", b)).toBe(true);
  });

  it("rejects a wrong password and a malformed hash", async () => {
    const h = await hashPassword("s3cret-pass");
    expect(await verifyPassword("s3cret-pasS", h)).toBe(false);
    expect(await verifyPassword("", h)).toBe(false);
    expect(await verifyPassword("s3cret-pass", "")).toBe(false);
    expect(await verifyPassword("s3cret-pass", "plain")).toBe(false);
    expect(await verifyPassword("s3cret-pass", h.replace(/^scrypt/, "bcrypt"))).toBe(false);
  });

  it("verifies credentials by username and password", async () => {
    expect(await verifyCredentials(t.db, "alice", PASSWORD)).toEqual({
      id: alice.id,
      username: "alice",
      isSuperuser: false,
    });
    expect(await verifyCredentials(t.db, "alice", "wrong password")).toBeNull();
    expect(await verifyCredentials(t.db, "nobody", PASSWORD)).toBeNull();
    // A token-only account has no password to match, whatever is tried.
    expect(await verifyCredentials(t.db, "root", "")).toBeNull();
    expect(await verifyCredentials(t.db, "root", PASSWORD)).toBeNull();
  });
});
