import { sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client";

/** At least this many rows into an empty table: its indexes are built after the load rather than kept during it. */
export const BULK_ROWS = 100_000;

/**
 * Loads rows into a table with its indexes built once after the load (a sort) instead of kept up to date row by
 * row: 1,000,000 products cost PostgreSQL ~2.4 s of CPU against ~3.1 s. One transaction: the table is locked
 * meanwhile, and a load that fails leaves it, its indexes and constraints as they were. Only for an empty
 * table no foreign key points at (the bench's, a new database's); otherwise `load` simply runs.
 */
export async function loadThenIndex(
  db: Db,
  table: string,
  rows: number,
  load: (db: Db | Tx) => Promise<void>,
): Promise<void> {
  if (rows < BULK_ROWS) return load(db);
  const relation = sql`${table}::regclass`;
  const [state] = (
    await db.execute<{ empty: boolean; referenced: boolean }>(sql`
      select not exists (select 1 from ${sql.identifier(table)}) as empty,
        exists (select 1 from pg_constraint where confrelid = ${relation} and contype = 'f') as referenced`)
  ).rows;
  if (!state?.empty || state.referenced) return load(db);
  await db.transaction(async (tx) => {
    const constraints = (
      await tx.execute<{ name: string; def: string }>(sql`
        select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
        where conrelid = ${relation} and conindid <> 0 order by oid`)
    ).rows;
    const indexes = (
      await tx.execute<{ name: string; def: string }>(sql`
        select indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as def from pg_index i
        where indrelid = ${relation} and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
        order by indexrelid`)
    ).rows;
    const target = sql.identifier(table);
    for (const c of constraints)
      await tx.execute(sql`alter table ${target} drop constraint ${sql.identifier(c.name)}`);
    for (const i of indexes) await tx.execute(sql.raw(`drop index ${i.name}`));
    await load(tx);
    for (const c of constraints)
      await tx.execute(sql`alter table ${target} add constraint ${sql.identifier(c.name)} ${sql.raw(c.def)}`);
    for (const i of indexes) await tx.execute(sql.raw(i.def));
  });
}
