import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../src/auth/actor";
import { exports } from "../src/db/schema";
import { sweepStorage } from "../src/engine/retention";
import { DomainError } from "../src/errors";
import { cancelExport, createExport } from "../src/exports/service";
import { createActor, createTestDatabase, TEST_LIMITS, type TestDatabase } from "../src/testing";
import { drain, engineDeps, tempStorage } from "./engine/helpers";

let t: TestDatabase;
let admin: Actor;
let n = 0;

const newUser = (): Promise<Actor> => createActor(t.db, `u${n++}`);

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await createActor(t.db, "root", true);
});

afterAll(async () => {
  await t?.destroy();
});

const request = (i: number) => ({ request_path: `/api/v1/products/?id__gt=${i}` });

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(
    () => null,
    (e) => e,
  );
  if (!(err instanceof DomainError)) throw new Error(`expected a DomainError, got ${err}`);
  return err;
}

describe("active exports per user", () => {
  it("refuses the one past the limit with 429 and Retry-After, and allows it again once one is cancelled", async () => {
    const u = await newUser();
    const created = [];
    for (let i = 0; i < 3; i++)
      created.push(
        await createExport(t.db, u, request(i), { limits: { ...TEST_LIMITS, maxActivePerUser: 3 } }),
      );
    const err = await refusal(
      createExport(t.db, u, request(3), { limits: { ...TEST_LIMITS, maxActivePerUser: 3 } }),
    );
    expect(err.code).toBe("TOO_MANY_REQUESTS");
    expect(err.retryAfter).toBe(30);
    // A regular user cannot cancel (set_cancel is for superusers): they are told to wait, and for how long.
    expect(err.detail).toBe(
      "You have 3 unfinished exports, the most one user may have at once. Wait until one of them finishes; try again in 30 seconds.",
    );
    // Another user is not affected.
    expect(
      (
        await createExport(t.db, await newUser(), request(3), {
          limits: { ...TEST_LIMITS, maxActivePerUser: 3 },
        })
      ).outcome,
    ).toBe("created");
    await cancelExport(t.db, admin, created[0]?.export.id ?? "");
    expect(
      (await createExport(t.db, u, request(3), { limits: { ...TEST_LIMITS, maxActivePerUser: 3 } })).outcome,
    ).toBe("created");
  });

  it("tells a superuser over the limit that cancelling one is also a way out", async () => {
    const su = await createActor(t.db, `su${n++}`, true);
    for (let i = 0; i < 2; i++)
      await createExport(t.db, su, request(i), { limits: { ...TEST_LIMITS, maxActivePerUser: 2 } });
    const err = await refusal(
      createExport(t.db, su, request(2), { limits: { ...TEST_LIMITS, maxActivePerUser: 2 } }),
    );
    expect(err.code).toBe("TOO_MANY_REQUESTS");
    expect(err.detail).toBe(
      "You have 2 unfinished exports, the most one user may have at once. Wait until one of them finishes, or cancel one; try again in 30 seconds.",
    );
  });

  it("holds under concurrent creates: exactly the limit get through", async () => {
    const u = await newUser();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        createExport(t.db, u, request(100 + i), { limits: { ...TEST_LIMITS, maxActivePerUser: 4 } }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(refused).toHaveLength(6);
    for (const r of refused) expect((r.reason as DomainError).code).toBe("TOO_MANY_REQUESTS");
  });
});

describe("an identical export in flight", () => {
  it("is returned instead of starting a second one; once finished, a new one starts", async () => {
    const u = await newUser();
    const first = await createExport(
      t.db,
      u,
      { ...request(1), format_type: "json" },
      { limits: TEST_LIMITS },
    );
    const again = await createExport(
      t.db,
      u,
      { ...request(1), format_type: "json" },
      { limits: TEST_LIMITS },
    );
    expect(again.outcome).toBe("in_flight");
    expect(again.export.id).toBe(first.export.id);
    // Differing in anything that changes the file is another export.
    const other = await createExport(t.db, u, { ...request(1), format_type: "csv" }, { limits: TEST_LIMITS });
    expect(other.outcome).toBe("created");
    // Someone else's identical request is theirs.
    expect(
      (
        await createExport(
          t.db,
          await newUser(),
          { ...request(1), format_type: "json" },
          { limits: TEST_LIMITS },
        )
      ).outcome,
    ).toBe("created");
    await cancelExport(t.db, admin, first.export.id);
    const after = await createExport(
      t.db,
      u,
      { ...request(1), format_type: "json" },
      { limits: TEST_LIMITS },
    );
    expect(after.outcome).toBe("created");
    expect(after.export.id).not.toBe(first.export.id);
  });
});

describe("Idempotency-Key", () => {
  it("returns the first result for a repeat, even after the export finished", async () => {
    const u = await newUser();
    const first = await createExport(t.db, u, request(7), {
      limits: TEST_LIMITS,
      idempotencyKey: "order-123",
    });
    expect(first.outcome).toBe("created");
    await cancelExport(t.db, admin, first.export.id);
    const repeat = await createExport(t.db, u, request(7), {
      limits: TEST_LIMITS,
      idempotencyKey: "order-123",
    });
    expect(repeat.outcome).toBe("replayed");
    expect(repeat.export.id).toBe(first.export.id);
    // The key is the user's own: another user's same key is a new export.
    const other = await createExport(t.db, await newUser(), request(7), {
      limits: TEST_LIMITS,
      idempotencyKey: "order-123",
    });
    expect(other.outcome).toBe("created");
  });

  it("refuses the same key with a different request, and a malformed key", async () => {
    const u = await newUser();
    await createExport(t.db, u, request(8), { limits: TEST_LIMITS, idempotencyKey: "k-1" });
    const conflict = await refusal(
      createExport(t.db, u, request(9), { limits: TEST_LIMITS, idempotencyKey: "k-1" }),
    );
    expect(conflict.code).toBe("CONFLICT");
    expect(conflict.detail).toBe("This Idempotency-Key was already used with a different request.");
    for (const bad of ["", "x".repeat(256), "has space", "ünïcode"]) {
      expect(
        (await refusal(createExport(t.db, u, request(10), { limits: TEST_LIMITS, idempotencyKey: bad })))
          .code,
      ).toBe("INVALID");
    }
  });

  it("concurrent repeats of one key create one export", async () => {
    const u = await newUser();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        createExport(t.db, u, request(11), { limits: TEST_LIMITS, idempotencyKey: "same" }),
      ),
    );
    expect(new Set(results.map((r) => r.export.id)).size).toBe(1);
    expect(results.filter((r) => r.outcome === "created")).toHaveLength(1);
  });
});

describe("stored filter files per user (issue 12)", () => {
  const storage = tempStorage();
  // Identifiers that match no product: the export completes at once, so the active limit never sees it.
  const nothing = (i: number) =>
    Buffer.from(Array.from({ length: 20_000 }, (_, j) => `NONE-${i}-${j}`).join("\n"));
  const withFile = (u: Actor, i: number) =>
    createExport(t.db, u, request(i), {
      limits: { ...TEST_LIMITS, maxActivePerUser: 5, maxFilterFilesPerUser: 2 },
      storage,
      filterFile: { name: "ids.txt", content: nothing(i) },
    });

  it("counts a file whose export finished at once; refuses the one past the limit until one expires", async () => {
    const u = await newUser();
    for (let i = 0; i < 2; i++) {
      expect((await withFile(u, i)).outcome).toBe("created");
      await drain(engineDeps(t, storage));
    }
    const finished = await t.db.select().from(exports).where(eq(exports.requestedBy, u.id));
    expect(finished.map((r) => r.status)).toEqual(["completed", "completed"]);

    const err = await refusal(withFile(u, 2));
    expect(err.code).toBe("TOO_MANY_REQUESTS");
    expect(err.detail).toBe(
      "You already have 2 stored filter files (the limit is 2). Each is deleted when its export expires; try again then, or export without a filter file.",
    );
    // About when the first file expires (EXPORT_RETENTION_DAYS, 7 by default).
    expect(err.retryAfter).toBeGreaterThan(6 * 24 * 3600);
    // Without a file the user may still export.
    expect(
      (await createExport(t.db, u, request(3), { limits: { ...TEST_LIMITS, maxActivePerUser: 5 } })).outcome,
    ).toBe("created");

    const [first] = finished;
    await t.db
      .update(exports)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(exports.id, first?.id ?? ""));
    await sweepStorage(t.db, storage);
    expect((await withFile(u, 4)).outcome).toBe("created");
  });
});
