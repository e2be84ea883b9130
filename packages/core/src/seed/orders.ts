import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { ORDER_STATUSES } from "../db/schema";
import { loadThenIndex } from "./bulk";

const CHUNK = 250_000n;

/** Numbers that are seeded ones: `ORD-` and up to 18 digits (so that they fit a bigint). */
const SEEDED_NUMBER = "^ORD-[0-9]{1,18}$";

/**
 * Inserts `count` deterministic demo orders generated inside PostgreSQL (a million in seconds), continuing
 * after the highest `ORD-` number, in bigint arithmetic. Every status occurs, refunds are negative amounts
 * (numbers a file must keep as numbers), and some emails are hostile: a leading `+` or `-` (a spreadsheet
 * formula) and non-ASCII domains. Into an empty table, a large seed builds the indexes after the rows
 * (`loadThenIndex`).
 */
export async function seedOrders(
  db: Db,
  count: number,
  onProgress?: (done: number) => void,
): Promise<number> {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`invalid order count ${count}`);
  const start = await db.execute<{ n: string | null }>(
    sql`select max(substring(number from 5)::bigint)::text as n from orders where number ~ ${SEEDED_NUMBER}`,
  );
  const first = BigInt(start.rows[0]?.n ?? "0") + 1n;
  const last = first + BigInt(count) - 1n;
  const statuses = sql`array[${sql.join(
    ORDER_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  )}]::text[]`;
  await loadThenIndex(db, "orders", count, async (q) => {
    for (let from = first; from <= last; from += CHUNK) {
      const to = from + CHUNK - 1n < last ? from + CHUNK - 1n : last;
      await q.execute(sql`
        insert into orders (number, customer_email, status, amount, currency, item_count, created_date, modified_date)
        select
          'ORD-' || lpad(i::text, greatest(8, length(i::text)), '0'),
          case
            when i % 1000 = 0 then '+90' || (5000000000 + i % 1000000000) || '@example.invalid'
            when i % 997 = 0 then '-iade.' || i || '@örnek.com.tr'
            when i % 13 = 0 then 'müşteri.' || h % 5000 || '@örnek.com.tr'
            else (array['ayse', 'mehmet', 'john', 'maria', 'ali', 'zeynep', 'emre'])[1 + h % 7] || '.' ||
                 (h / 7) % 50000 || '@example.com'
          end,
          s.status,
          case when s.status = 'refunded' then -1 else 1 end * ((h / 13) % 1000000 / 100.0 + 1),
          (array['TRY', 'USD', 'EUR'])[1 + (i / 6) % 3],
          1 + (h / 7919) % 12,
          timestamptz '2025-01-01 00:00:00+00' + (i % 100000000) * interval '1 minute',
          timestamptz '2025-01-01 00:00:00+00' + (i % 100000000) * interval '1 minute' +
            case when s.status = 'pending' then interval '0' else (h / 101) % 96 * interval '1 hour' end
        from generate_series(${from.toString()}::bigint, ${to.toString()}::bigint) as i,
          -- A pseudo-random but deterministic number per order (a multiplicative hash modulo the prime
          -- 2^31 - 1; the product stays within bigint), whose digits pick the values that vary freely.
          lateral (select ((i % 2147483647) * 1583458089) % 2147483647 as h) as r,
          lateral (select (${statuses})[1 + i % ${ORDER_STATUSES.length}] as status) as s
      `);
      onProgress?.(Number(to - first + 1n));
    }
  });
  return count;
}
