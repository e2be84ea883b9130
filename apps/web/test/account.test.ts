import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { asDomainError, LocalStorage } from "@exports/core";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/trpc/root";
import { callerContext, type Harness, startHarness, type TestUser } from "./harness";

/** Issue 16: the account procedures the dashboard's account page uses (email address, opt-out). */
let h: Harness;
const storage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-account-")));

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

const caller = (user: TestUser) => createCaller(callerContext(h.db, storage, user.actor));

async function failure(promise: Promise<unknown>) {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCError);
  const trpc = err as TRPCError;
  return { code: trpc.code, fields: asDomainError(trpc.cause)?.fields };
}

describe("tRPC account", () => {
  it("a new user has no address and notifications on; each user sets only their own", async () => {
    const alice = caller(h.alice);
    expect(await alice.account.get()).toEqual({ username: "alice", email: null, email_notifications: true });
    expect(await alice.account.update({ email: " alice@example.test " })).toEqual({
      username: "alice",
      email: "alice@example.test",
      email_notifications: true,
    });
    expect(await alice.account.update({ email_notifications: false })).toMatchObject({
      email: "alice@example.test",
      email_notifications: false,
    });
    // Bob's settings are untouched by Alice's.
    expect(await caller(h.bob).account.get()).toEqual({
      username: "bob",
      email: null,
      email_notifications: true,
    });
    expect(await alice.account.update({ email: "" })).toMatchObject({
      email: null,
      email_notifications: false,
    });
  });

  it("refuses a bad address or setting with field errors; unknown fields too", async () => {
    const bob = caller(h.bob);
    expect(await failure(bob.account.update({ email: "bob(at)example" }))).toEqual({
      code: "BAD_REQUEST",
      fields: { email: ["Enter a valid email address."] },
    });
    const wrong = await failure(bob.account.update({ email_notifications: "yes" as never }));
    expect(wrong.code).toBe("BAD_REQUEST");
    expect(Object.keys(wrong.fields ?? {})).toEqual(["email_notifications"]);
    const other = await failure(bob.account.update({ username: "root" } as never));
    expect(other.code).toBe("BAD_REQUEST");
    expect(await bob.account.get()).toEqual({ username: "bob", email: null, email_notifications: true });
  });

  it("needs a signed-in user, and a session's CSRF token to change anything", async () => {
    const anonymous = createCaller(callerContext(h.db, storage, null));
    expect((await failure(anonymous.account.get())).code).toBe("UNAUTHORIZED");
    const session = createCaller(
      callerContext(h.db, storage, h.bob.actor, {
        authenticate: async () => ({
          via: "session",
          actor: h.bob.actor,
          csrfToken: "the-token",
          sessionId: "the-session",
        }),
      }),
    );
    expect((await failure(session.account.update({ email: "bob@example.test" }))).code).toBe("FORBIDDEN");
    expect(await session.account.get()).toMatchObject({ email: null });
  });
});
