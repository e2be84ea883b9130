import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BINDING_KEY, bindStorage, installationId, StorageBindingError } from "../src/storage";
import { createTestDatabase, type TestDatabase } from "../src/testing";
import { tempStorage } from "./engine/helpers";

let a: TestDatabase;
let b: TestDatabase;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});

afterAll(async () => {
  await Promise.all([a?.destroy(), b?.destroy()]);
});

describe("a storage belongs to one database", () => {
  it("each database has one identity, created once", async () => {
    const [first, again] = await Promise.all([installationId(a.db), installationId(a.db)]);
    expect(first).toBe(again);
    expect(await installationId(b.db)).not.toBe(first);
  });

  it("is claimed by the first database that uses it and refused to any other", async () => {
    const storage = tempStorage();
    const id = await bindStorage(a.db, storage, "here");
    expect(await bindStorage(a.db, storage, "here")).toBe(id);
    await expect(bindStorage(b.db, storage, "/the/folder")).rejects.toThrow(StorageBindingError);
    await expect(bindStorage(b.db, storage, "/the/folder")).rejects.toThrow(
      /The storage \/the\/folder belongs to another database/,
    );
  });

  it("refuses a storage whose record is unreadable rather than claiming it again", async () => {
    const storage = tempStorage();
    const file = await storage.create(BINDING_KEY);
    file.stream.end("not json");
    await file.commit();
    await expect(bindStorage(a.db, storage, "here")).rejects.toThrow(/is not readable/);
  });
});
