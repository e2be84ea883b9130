import { authenticateHeader, verifyCredentials } from "@exports/core";
import { createTestDatabase, type TestDatabase } from "@exports/core/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { expectExit, expectOneLineError, jsonLine, runCli } from "./run";

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase();
});

afterAll(async () => {
  await tdb?.destroy();
});

const cli = (...args: string[]) => runCli(tdb.url, args);

describe.concurrent("users:create", () => {
  it("prints one JSON line with a 40-hex token that authenticates", async ({ expect }) => {
    const run = await cli("users:create", "--username", "alice", "--superuser");
    expectExit(run, 0);
    const out = jsonLine(run);
    expect(Object.keys(out).sort()).toEqual(["email", "id", "is_superuser", "token", "username"]);
    expect(out).toMatchObject({ username: "alice", is_superuser: true });
    expect(out.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.token).toMatch(/^[0-9a-f]{40}$/);
    const actor = await authenticateHeader(tdb.db, `Token ${out.token}`);
    expect(actor).toEqual({ id: out.id, username: "alice", isSuperuser: true });
  });

  it("creates a plain user by default, with a password the dashboard accepts", async ({ expect }) => {
    const run = await cli("users:create", "--username", "bob", "--password", "correct horse");
    expectExit(run, 0);
    expect(jsonLine(run)).toMatchObject({ username: "bob", is_superuser: false });
    expect(await verifyCredentials(tdb.db, "bob", "correct horse")).toMatchObject({ username: "bob" });
  });

  it("refuses a taken username: exit 1, one line, no stack", async ({ expect }) => {
    await cli("users:create", "--username", "dup");
    const run = await cli("users:create", "--username", "dup");
    expectExit(run, 1);
    expect(expectOneLineError(run)).toBe("error: username: A user with that username already exists.");
  });

  it("reports core's validation (a short password) as a failure", async ({ expect }) => {
    const run = await cli("users:create", "--username", "carol", "--password", "short");
    expectExit(run, 1);
    expect(expectOneLineError(run)).toContain("password: Ensure this field has at least 8 characters.");
  });
});

describe.concurrent("email settings (issue 16)", () => {
  it("users:create --email sets the address; users:update changes it and the opt-out", async ({ expect }) => {
    const run = await cli("users:create", "--username", "erin", "--email", "erin@example.test");
    expectExit(run, 0);
    expect(jsonLine(run)).toMatchObject({ username: "erin", email: "erin@example.test" });
    const off = await cli("users:update", "--username", "erin", "--notifications", "off");
    expectExit(off, 0);
    expect(jsonLine(off)).toEqual({
      username: "erin",
      email: "erin@example.test",
      email_notifications: false,
    });
    const moved = await cli("users:update", "--username", "erin", "--email", "new@example.test");
    expect(jsonLine(moved)).toEqual({
      username: "erin",
      email: "new@example.test",
      email_notifications: false,
    });
    const cleared = await cli("users:update", "--username", "erin", "--email", "", "--notifications", "on");
    expect(jsonLine(cleared)).toEqual({ username: "erin", email: null, email_notifications: true });
  });

  it("refuses a bad address, an unknown user, a bad or missing setting", async ({ expect }) => {
    const bad = await cli("users:create", "--username", "fay", "--email", "not-an-address");
    expectExit(bad, 1);
    expect(expectOneLineError(bad)).toBe("error: email: Enter a valid email address.");
    const nobody = await cli("users:update", "--username", "nobody", "--email", "a@example.test");
    expectExit(nobody, 1);
    expect(expectOneLineError(nobody)).toContain('No user named "nobody".');
    const setting = await cli("users:update", "--username", "nobody", "--notifications", "maybe");
    expectExit(setting, 2);
    expect(expectOneLineError(setting)).toContain("--notifications must be on or off, got 'maybe'");
    const nothing = await cli("users:update", "--username", "nobody");
    expectExit(nothing, 2);
    expect(expectOneLineError(nothing)).toContain("nothing to change");
  });
});

describe.concurrent("account events (issue 18)", () => {
  it("users:create (and its first key), users:update, users:deactivate and users:activate record who changed what (the CLI: no actor)", async ({
    expect,
  }) => {
    const { id } = jsonLine(await cli("users:create", "--username", "ivan", "--password", "correct horse"));
    expectExit(await cli("users:update", "--username", "ivan", "--notifications", "off"), 0);
    const off = await cli("users:deactivate", "--username", "ivan");
    expectExit(off, 0);
    expect(jsonLine(off)).toEqual({ username: "ivan", is_active: false });
    expectExit(await cli("users:activate", "--username", "ivan"), 0);
    const events = await tdb.db.query.accountEvents.findMany({
      where: (e, { eq }) => eq(e.userId, String(id)),
      orderBy: (e, { asc }) => asc(e.id),
    });
    expect(events.map((e) => [e.type, e.actorId])).toEqual([
      ["user.created", null],
      ["token.created", null],
      ["user.updated", null],
      ["user.deactivated", null],
      ["user.activated", null],
    ]);
    expect(events[2]?.detail).toEqual({ email_notifications: false });
  });
});

describe.concurrent("tokens:create", () => {
  it("issues another token for the user", async ({ expect }) => {
    const created = jsonLine(await cli("users:create", "--username", "dave"));
    const run = await cli("tokens:create", "--username", "dave");
    expectExit(run, 0);
    const out = jsonLine(run);
    expect(out).toEqual({ username: "dave", token: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(out.token).not.toBe(created.token);
    expect(await authenticateHeader(tdb.db, `Token ${out.token}`)).toMatchObject({ username: "dave" });
  });

  it("fails for an unknown user", async ({ expect }) => {
    const run = await cli("tokens:create", "--username", "nobody");
    expectExit(run, 1);
    expect(expectOneLineError(run)).toBe('error: No user named "nobody".');
  });
});

describe.concurrent("db:migrate", () => {
  it("applies migrations (idempotently) and says where", async ({ expect }) => {
    const run = await cli("db:migrate");
    expectExit(run, 0);
    expect(jsonLine(run)).toEqual({ migrated: true, database: expect.stringContaining(tdb.name) });
  });
});

describe.concurrent("usage errors exit 2 with one line", () => {
  it.for<[string[], string]>([
    // The brief's cases; the option parser's other errors are covered in args.test.ts.
    [["frobnicate"], "unknown command 'frobnicate'"],
    [["users:create"], "missing --username NAME"],
    [["users:create", "--username"], "option '--username' needs a value"],
    [["seed", "--products", "abc"], "--products must be a positive integer, got 'abc'"],
    [["seed", "--customers", "5"], "unknown option '--customers' for 'seed'"],
    [["seed", "--orders", "0"], "--orders must be a positive integer"],
  ])("%j", async ([args, message], { expect }) => {
    const run = await cli(...args);
    expectExit(run, 2);
    expect(expectOneLineError(run)).toContain(message);
  });

  it("prints the program's usage on stderr when no command is given", async ({ expect }) => {
    const run = await cli();
    expectExit(run, 2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("usage: pnpm cli <command>");
  });
});

describe.concurrent("help", () => {
  it.for([["help"], ["--", "--help"]])("%j lists the commands on stdout", async (args, { expect }) => {
    const run = await cli(...args);
    expectExit(run, 0);
    for (const name of ["users:create", "tokens:create", "seed", "db:migrate"])
      expect(run.stdout).toContain(name);
  });

  it.for([
    ["help", "seed"],
    ["seed", "--help"],
  ])("%j shows a command's options", async (args, { expect }) => {
    const run = await cli(...args);
    expectExit(run, 0);
    expect(run.stdout).toContain("usage: pnpm cli seed [--products N]");
    expect(run.stdout).toContain("--products N");
  });
});

describe.concurrent("failures before the command runs", () => {
  it("names a bad environment variable (exit 1)", async ({ expect }) => {
    const run = await runCli("mysql://nope", ["db:migrate"]);
    expectExit(run, 1);
    expect(run.stderr).toContain("DATABASE_URL: must start with postgres:// or postgresql://");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports an unreachable database in one line (exit 1)", async ({ expect }) => {
    const run = await runCli("postgres://postgres@127.0.0.1:1/nothing", ["users:create", "--username", "x"]);
    expectExit(run, 1);
    expect(expectOneLineError(run)).toContain("ECONNREFUSED");
  });
});
