import { buffer } from "node:stream/consumers";
import type { Db } from "../db/client";
import { installation } from "../db/schema";
import type { Storage } from "./types";

/** The storage's record of the database it belongs to. */
export const BINDING_KEY = "installation.json";

/** This database's identity (created on first use: one row, see db/schema/installation.ts). */
export async function installationId(db: Db): Promise<string> {
  await db.insert(installation).values({}).onConflictDoNothing();
  const [row] = await db.select({ id: installation.id }).from(installation).limit(1);
  if (!row) throw new Error("the installation row is missing");
  return row.id;
}

async function readBinding(storage: Storage): Promise<string | null> {
  if ((await storage.size(BINDING_KEY)) === null) return null;
  const text = (await buffer(storage.read(BINDING_KEY))).toString("utf8");
  try {
    const id = (JSON.parse(text) as { installation?: unknown }).installation;
    if (typeof id === "string") return id;
  } catch {
    // reported below
  }
  throw new StorageBindingError(`${BINDING_KEY} in the storage is not readable: ${text.slice(0, 200)}`);
}

export class StorageBindingError extends Error {}

/**
 * Makes sure `storage` belongs to this database, claiming it on first use. Why: each database's workers delete
 * the parts of exports that database does not know (retention), so two databases on one storage delete each
 * other's files mid-export — a completed export would then lack a committed part. A process whose database is
 * not the one the storage records refuses to start (StorageBindingError) instead.
 */
export async function bindStorage(db: Db, storage: Storage, where = storage.location): Promise<string> {
  await storage.check();
  const id = await installationId(db);
  let bound = await readBinding(storage);
  if (bound === null) {
    const file = await storage.create(BINDING_KEY);
    file.stream.end(`${JSON.stringify({ installation: id, bound_at: new Date().toISOString() })}\n`);
    await file.commit();
    // Two databases claiming an empty storage at the same moment: the last write wins, and the other sees it.
    bound = await readBinding(storage);
  }
  if (bound !== id) {
    throw new StorageBindingError(
      `The storage ${where} belongs to another database (installation ${bound}; this database is ${id}). ` +
        "Two databases on one storage would delete each other's files: give each database its own storage " +
        "(STORAGE_URL, STORAGE_DIR or DATA_DIR), or point DATABASE_URL at the database this storage belongs to.",
    );
  }
  return id;
}
