import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createUser, type ExportDto, keys, LocalStorage, schema } from "@exports/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/trpc/root";
import { callerContext, type Harness, startHarness } from "./harness";

// Sign-in, sessions and CSRF through the real tRPC fetch route (`/api/trpc`), with cookies as a browser
// sends them; and the session cookie on the download link.

const STORAGE_DIR = mkdtempSync(path.join(os.tmpdir(), "exports-web-auth-"));
process.env.STORAGE_DIR = STORAGE_DIR;
// These requests come as from behind one reverse proxy, which names the client in X-Forwarded-For (each test
// a client address of its own). Exposed directly (NUM_PROXIES=0, the default), the header is ignored and the
// socket's address counts: api-door.test.ts proves that over real sockets.
process.env.NUM_PROXIES = "1";
const storage = new LocalStorage(STORAGE_DIR);

const PASSWORD = "correct horse battery staple";
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  for (const username of ["carol", "dave", "erin", "frank", "grace", "root2"]) {
    await createUser(h.db, { username, password: PASSWORD, isSuperuser: username === "root2" });
  }
});

afterAll(async () => {
  await h?.close();
  await rm(STORAGE_DIR, { recursive: true, force: true });
});

let addressCounter = 0;
/** A client address of its own per sign-in test (the per-address throttle must not leak between tests). */
const freshIp = () => `198.51.100.${++addressCounter}`;

interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

function parseSetCookie(line: string): SetCookie {
  const [pair = "", ...attrs] = line.split(";").map((p) => p.trim());
  const eqAt = pair.indexOf("=");
  const attributes: Record<string, string | true> = {};
  for (const a of attrs) {
    const i = a.indexOf("=");
    if (i < 0) attributes[a.toLowerCase()] = true;
    else attributes[a.slice(0, i).toLowerCase()] = a.slice(i + 1);
  }
  return { name: pair.slice(0, eqAt), value: decodeURIComponent(pair.slice(eqAt + 1)), attributes };
}

function cookiesOf(res: Response): Map<string, SetCookie> {
  return new Map(res.headers.getSetCookie().map((l) => [parseSetCookie(l).name, parseSetCookie(l)]));
}

interface Browser {
  session: string;
  csrf: string;
  cookie: string;
}

interface TrpcResult {
  status: number;
  headers: Headers;
  cookies: Map<string, SetCookie>;
  data: unknown;
  error: { message: string; data: Record<string, unknown> } | undefined;
}

async function trpc(
  kind: "query" | "mutation",
  proc: string,
  input: unknown,
  headers: Record<string, string> = {},
  token: string | null = null,
): Promise<TrpcResult> {
  const res =
    kind === "query"
      ? await h.send(
          "GET",
          `/api/trpc/${proc}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
          { token, headers },
        )
      : await h.send("POST", `/api/trpc/${proc}`, { token, headers, body: input ?? {} });
  const body = JSON.parse(await res.text()) as {
    result?: { data: unknown };
    error?: { message: string; data: Record<string, unknown> };
  };
  return {
    status: res.status,
    headers: res.headers,
    cookies: cookiesOf(res),
    data: body.result?.data,
    error: body.error,
  };
}

async function signIn(username: string, extra: Record<string, string> = {}): Promise<Browser> {
  const res = await trpc(
    "mutation",
    "auth.signIn",
    { username, password: PASSWORD },
    { "X-Forwarded-For": freshIp(), ...extra },
  );
  expect(res.status, JSON.stringify(res.error)).toBe(200);
  const session = res.cookies.get("exports_session")?.value ?? "";
  const csrf = res.cookies.get("exports_csrf")?.value ?? "";
  return { session, csrf, cookie: `exports_session=${session}; exports_csrf=${csrf}` };
}

const asBrowser = (b: Browser, csrf?: string | null) => ({
  Cookie: b.cookie,
  ...(csrf === null ? {} : { "x-csrf-token": csrf ?? b.csrf }),
});

describe("auth.signIn", () => {
  it("answers the user and sets an httpOnly SameSite=Lax session cookie and a readable CSRF cookie", async () => {
    const res = await trpc(
      "mutation",
      "auth.signIn",
      { username: "carol", password: PASSWORD },
      { "X-Forwarded-For": freshIp(), "User-Agent": "Chromium test" },
    );
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ user: { id: expect.any(String), username: "carol", is_superuser: false } });

    const session = res.cookies.get("exports_session");
    const csrf = res.cookies.get("exports_csrf");
    expect(session?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session?.attributes).toMatchObject({ httponly: true, samesite: "Lax", path: "/" });
    expect(Number(session?.attributes["max-age"])).toBeGreaterThan(6 * 24 * 3600);
    // Plain http: not Secure (a browser would drop a Secure cookie on http://localhost).
    expect(session?.attributes.secure).toBeUndefined();
    expect(csrf?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrf?.attributes).toMatchObject({ samesite: "Lax", path: "/" });
    expect(csrf?.attributes.httponly).toBeUndefined();
    expect(res.headers.get("cache-control")).toBe("private, no-store");

    const row = await h.db.query.sessions.findFirst({
      where: (t, { eq }) => eq(t.csrfToken, csrf?.value ?? ""),
    });
    expect(row).toMatchObject({ userAgent: "Chromium test" });
    expect(row?.id).not.toBe(session?.value);
  });

  it("marks both cookies Secure behind an https proxy", async () => {
    const res = await trpc(
      "mutation",
      "auth.signIn",
      { username: "carol", password: PASSWORD },
      { "X-Forwarded-For": freshIp(), "X-Forwarded-Proto": "https" },
    );
    expect(res.status).toBe(200);
    expect(res.cookies.get("exports_session")?.attributes.secure).toBe(true);
    expect(res.cookies.get("exports_csrf")?.attributes.secure).toBe(true);
  });

  it("answers wrong credentials with 401 'Invalid username or password.' and sets no cookie", async () => {
    for (const [username, password] of [
      ["carol", "wrong password"],
      ["nobody", PASSWORD],
      ["alice", PASSWORD], // the harness's users have no password (token only)
    ]) {
      const res = await trpc(
        "mutation",
        "auth.signIn",
        { username, password },
        { "X-Forwarded-For": freshIp() },
      );
      expect(res.status, username).toBe(401);
      expect(res.error?.message).toBe("Invalid username or password.");
      expect(res.error?.data).toMatchObject({ code: "UNAUTHORIZED", domainCode: "UNAUTHENTICATED" });
      expect(res.cookies.size).toBe(0);
    }
  });

  it("refuses a malformed input with field errors (400)", async () => {
    const res = await trpc(
      "mutation",
      "auth.signIn",
      { username: "", password: 42 },
      { "X-Forwarded-For": freshIp() },
    );
    expect(res.status).toBe(400);
    expect(res.error?.data.fieldErrors).toEqual({
      username: ["This field may not be blank."],
      password: ["Not a valid string."],
    });
  });

  it("rotates: a new session each time, and the one the browser presented is revoked", async () => {
    const first = await signIn("dave");
    const second = await signIn("dave", { Cookie: first.cookie });
    expect(second.session).not.toBe(first.session);
    expect(second.csrf).not.toBe(first.csrf);
    expect((await trpc("query", "auth.me", undefined, { Cookie: first.cookie })).data).toBeNull();
    expect((await trpc("query", "auth.me", undefined, { Cookie: second.cookie })).data).toMatchObject({
      user: { username: "dave" },
    });
  });

  it("slows down brute force per username: 429 TOO_MANY_REQUESTS with Retry-After and a readable message", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await trpc(
        "mutation",
        "auth.signIn",
        { username: "erin", password: `guess ${i}` },
        { "X-Forwarded-For": freshIp() },
      );
      expect(res.status).toBe(401);
    }
    const res = await trpc(
      "mutation",
      "auth.signIn",
      { username: "erin", password: PASSWORD },
      { "X-Forwarded-For": freshIp() },
    );
    expect(res.status).toBe(429);
    expect(res.error?.message).toBe("Too many failed sign-ins. Try again in 15 minutes.");
    expect(res.error?.data).toMatchObject({ code: "TOO_MANY_REQUESTS", domainCode: "TOO_MANY_REQUESTS" });
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(890);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(res.error?.data.retryAfter).toBe(retryAfter);
    expect(res.cookies.size).toBe(0);
  });

  it("slows down brute force per address (X-Forwarded-For behind NUM_PROXIES=1), across usernames", async () => {
    const ip = "203.0.113.77";
    for (let i = 0; i < 20; i++) {
      const res = await trpc(
        "mutation",
        "auth.signIn",
        { username: `spray${i}`, password: PASSWORD },
        { "X-Forwarded-For": ip },
      );
      expect(res.status).toBe(401);
    }
    const blocked = await trpc(
      "mutation",
      "auth.signIn",
      { username: "frank", password: PASSWORD },
      { "X-Forwarded-For": ip },
    );
    expect(blocked.status).toBe(429);
    expect(blocked.error?.message).toMatch(
      /^Too many failed sign-ins\. Try again in \d+ (seconds|minutes)\.$/,
    );
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    // The same person from elsewhere is let in.
    await signIn("frank");
  });
});

describe("auth.me", () => {
  it("is the signed-in user with the cookie, the token's user with a token, and null otherwise", async () => {
    const b = await signIn("carol");
    expect((await trpc("query", "auth.me", undefined, { Cookie: b.cookie })).data).toEqual({
      user: { id: expect.any(String), username: "carol", is_superuser: false },
    });
    expect((await trpc("query", "auth.me", undefined, {}, h.root.token)).data).toEqual({
      user: { id: h.root.id, username: "root", is_superuser: true },
    });
    const anonymous = await trpc("query", "auth.me", undefined, {});
    expect(anonymous.status).toBe(200);
    expect(anonymous.data).toBeNull();
    expect((await trpc("query", "auth.me", undefined, {}, "0".repeat(40))).data).toBeNull();
  });

  it("an expired session is nobody, and its cookies are cleared", async () => {
    const b = await signIn("carol");
    await h.testDb.pool.query(
      "update sessions set expires_at = now() - interval '1 second' where csrf_token = $1",
      [b.csrf],
    );
    const res = await trpc("query", "auth.me", undefined, { Cookie: b.cookie });
    expect(res.data).toBeNull();
    expect(res.cookies.get("exports_session")).toMatchObject({ value: "", attributes: { "max-age": "0" } });

    const list = await trpc("query", "exports.list", {}, { Cookie: b.cookie });
    expect(list.status).toBe(401);
    expect(list.error?.message).toBe("Your session has expired. Please sign in again.");
  });
});

describe("CSRF on cookie-authenticated mutations", () => {
  it("exports.create with the cookie but without x-csrf-token: 403, nothing created", async () => {
    const b = await signIn("dave");
    const before = await h.countExports();
    const res = await trpc(
      "mutation",
      "exports.create",
      { request_path: "/api/v1/products/" },
      asBrowser(b, null),
    );
    expect(res.status).toBe(403);
    expect(res.error?.message).toBe("CSRF token missing or invalid.");
    expect(res.error?.data).toMatchObject({ code: "FORBIDDEN", domainCode: "FORBIDDEN" });

    const wrong = await trpc(
      "mutation",
      "exports.create",
      { request_path: "/api/v1/products/" },
      asBrowser(b, `${b.csrf.slice(0, -1)}x`),
    );
    expect(wrong.status).toBe(403);
    // Another session's token is no better.
    const other = await signIn("carol");
    const crossed = await trpc(
      "mutation",
      "exports.create",
      { request_path: "/api/v1/products/" },
      asBrowser(b, other.csrf),
    );
    expect(crossed.status).toBe(403);
    expect(await h.countExports()).toBe(before);
  });

  it("exports.create with the cookie and the session's token: created, owned by the session's user", async () => {
    const b = await signIn("dave");
    const res = await trpc(
      "mutation",
      "exports.create",
      { request_path: "/api/v1/products/", format_type: "json" },
      asBrowser(b),
    );
    expect(res.status, JSON.stringify(res.error)).toBe(200);
    const record = res.data as ExportDto;
    expect(record).toMatchObject({
      request_path: "/api/v1/products/",
      format_type: "json",
      status: "waiting",
    });
    const dave = await h.db.query.users.findFirst({ where: (t, { eq }) => eq(t.username, "dave") });
    expect(record.requested_by).toBe(dave?.id);
    // Reads need no token.
    const got = await trpc("query", "exports.get", { id: record.id }, asBrowser(b, null));
    expect(got.status).toBe(200);
    expect(got.data).toEqual(record);
  });

  it("a token-authenticated mutation needs no CSRF token, even with a stale cookie around", async () => {
    const res = await trpc(
      "mutation",
      "exports.create",
      { request_path: "/api/v1/orders/" },
      {},
      h.alice.token,
    );
    expect(res.status).toBe(200);
    const withCookie = await trpc(
      "mutation",
      "exports.create",
      { request_path: "/api/v1/orders/" },
      { Cookie: "exports_session=whatever" },
      h.alice.token,
    );
    expect(withCookie.status).toBe(200);
  });

  it("a superuser's cookie-authenticated cancel needs the token too", async () => {
    const b = await signIn("root2");
    const e = await h.insertExport(h.alice, { status: "processing" });
    expect((await trpc("mutation", "exports.cancel", { id: e.id }, asBrowser(b, null))).status).toBe(403);
    expect((await h.findExport(e.id))?.status).toBe("processing");
    const ok = await trpc("mutation", "exports.cancel", { id: e.id }, asBrowser(b));
    expect(ok.status).toBe(200);
    expect((ok.data as ExportDto).status).toBe("cancelled");
  });

  it("checks authentication before CSRF: no session, no token → 401", async () => {
    const res = await trpc("mutation", "exports.create", { request_path: "/api/v1/products/" }, {});
    expect(res.status).toBe(401);
  });
});

describe("auth.signOut", () => {
  it("deletes the session and clears both cookies; the old cookie then authenticates nothing", async () => {
    const b = await signIn("frank");
    const res = await trpc("mutation", "auth.signOut", undefined, asBrowser(b));
    expect(res.status).toBe(200);
    for (const name of ["exports_session", "exports_csrf"]) {
      expect(res.cookies.get(name), name).toMatchObject({ value: "", attributes: { "max-age": "0" } });
    }
    expect(res.cookies.get("exports_session")?.attributes.httponly).toBe(true);
    expect((await trpc("query", "auth.me", undefined, { Cookie: b.cookie })).data).toBeNull();
    const list = await trpc("query", "exports.list", {}, { Cookie: b.cookie });
    expect(list.status).toBe(401);
    const { rows } = await h.testDb.pool.query("select id from sessions where csrf_token = $1", [b.csrf]);
    expect(rows).toEqual([]);
  });

  it("refuses to end a live session without its CSRF token (no cross-site sign-out)", async () => {
    const b = await signIn("frank");
    const res = await trpc("mutation", "auth.signOut", undefined, asBrowser(b, null));
    expect(res.status).toBe(403);
    expect((await trpc("query", "auth.me", undefined, { Cookie: b.cookie })).data).toMatchObject({
      user: { username: "frank" },
    });
  });

  it("without a live session, just clears the cookies", async () => {
    const res = await trpc("mutation", "auth.signOut", undefined, { Cookie: "exports_session=gone" });
    expect(res.status).toBe(200);
    expect(res.cookies.get("exports_session")?.value).toBe("");
    expect((await trpc("mutation", "auth.signOut", undefined, {})).status).toBe(200);
  });
});

describe("createCaller with a stubbed cookie writer", () => {
  it("signIn writes both cookies through ctx.setCookie", async () => {
    const written: [string, string, Record<string, unknown>][] = [];
    const caller = createCaller(
      callerContext(h.db, storage, null, {
        client: { ip: freshIp(), userAgent: null, secure: true },
        setCookie: (name, value, options) => written.push([name, value, { ...options }]),
      }),
    );
    const result = await caller.auth.signIn({ username: "grace", password: PASSWORD });
    expect(result.user.username).toBe("grace");
    expect(written.map(([name]) => name)).toEqual(["exports_session", "exports_csrf"]);
    expect(written[0]?.[2]).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });
    expect(written[1]?.[2]).toMatchObject({ httpOnly: false, secure: true, sameSite: "Lax", path: "/" });
    expect(await caller.auth.me()).toBeNull(); // this context carries no cookie
  });
});

describe("the download link with the session cookie", () => {
  async function completedExport(owner: { id: string }) {
    const id = randomUUID();
    const key = keys.result(id, "attempt", "products-export.csv");
    const file = await storage.create(key);
    file.stream.write("\uFEFFID\r\n1\r\n");
    await file.commit();
    await h.db.insert(schema.exports).values({
      id,
      requestPath: "/api/v1/products/",
      requestedBy: owner.id,
      status: "completed",
      formatType: "csv",
      resultKey: key,
      resultFile: `/api/v1/exports/${id}/download/`,
    });
    return id;
  }

  it("streams the owner's file to their browser; another user's is a 404; no cookie is a 401", async () => {
    const carol = await h.db.query.users.findFirst({ where: (t, { eq }) => eq(t.username, "carol") });
    if (!carol) throw new Error("no carol");
    const id = await completedExport(carol);
    const b = await signIn("carol");
    const res = await h.send("GET", `/api/v1/exports/${id}/download/`, { headers: { Cookie: b.cookie } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).toString("utf8")).toBe("\uFEFFID\r\n1\r\n");

    const other = await signIn("dave");
    expect(
      (await h.call("GET", `/api/v1/exports/${id}/download/`, { headers: { Cookie: other.cookie } })).status,
    ).toBe(404);
    const none = await h.call("GET", `/api/v1/exports/${id}/download/`);
    expect(none.status).toBe(401);
  });

  it("the rest of the REST API takes a token only", async () => {
    const b = await signIn("carol");
    const list = await h.call("GET", "/api/v1/exports/", { headers: { Cookie: b.cookie } });
    expect(list.status).toBe(401);
    expect(list.body).toEqual({ detail: "Authentication credentials were not provided." });
    const create = await h.call("POST", "/api/v1/exports/", {
      headers: asBrowser(b),
      body: { request_path: "/api/v1/products/" },
    });
    expect(create.status).toBe(401);
  });
});
