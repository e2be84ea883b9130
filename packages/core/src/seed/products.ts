import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { loadThenIndex } from "./bulk";

const CHUNK = 250_000;

/**
 * Inserts `count` deterministic demo products generated inside PostgreSQL (a million in seconds). Some names
 * are hostile: non-ASCII ("İstanbul"), commas, quotes, new lines, spreadsheet formulas. Into an empty table, a
 * large seed builds the indexes after the rows (`loadThenIndex`).
 */
export async function seedProducts(
  db: Db,
  count: number,
  onProgress?: (done: number) => void,
): Promise<number> {
  const start = await db.execute<{ n: number }>(
    sql`select coalesce(max(substring(sku from 5)::bigint), 0) as n from products where sku ~ '^SKU-[0-9]{1,15}$'`,
  );
  const first = Number(start.rows[0]?.n ?? 0) + 1;
  const last = first + count - 1;
  await loadThenIndex(db, "products", count, async (q) => {
    for (let from = first; from <= last; from += CHUNK) {
      const to = Math.min(from + CHUNK - 1, last);
      await q.execute(sql`
        insert into products (sku, name, price, currency, stock, is_active, attributes, created_date, modified_date)
        select
          'SKU-' || lpad(s, greatest(8, length(s)), '0'),
          case
            when i % 1000 = 0 then '=HYPERLINK("http://example.invalid","Product ' || s || '")'
            when i % 997 = 0 then 'Çay bardağı, "İnce belli" ' || s || E'\nİstanbul'
            else (array['Blue ', 'Red ', 'Green ', 'Black ', 'White ', 'İznik '])[1 + i % 6] ||
                 (array['Shirt ', 'Mug ', 'Lamp ', 'Chair ', 'Kilim ', 'Notebook ', 'Şal '])[1 + i % 7] || s
          end,
          ((i * 7919) % 100000) / 100.0 + 1,
          (array['TRY', 'USD', 'EUR'])[1 + i % 3],
          (i * 31) % 500,
          i % 10 <> 0,
          -- {color: blue|red|green by i % 3, size: S|M|L|XL by i % 4}: one of 12 values, picked by i % 12
          -- (built once per statement, not per row).
          (array[
            '{"color":"blue","size":"S"}', '{"color":"red","size":"M"}', '{"color":"green","size":"L"}',
            '{"color":"blue","size":"XL"}', '{"color":"red","size":"S"}', '{"color":"green","size":"M"}',
            '{"color":"blue","size":"L"}', '{"color":"red","size":"XL"}', '{"color":"green","size":"S"}',
            '{"color":"blue","size":"M"}', '{"color":"red","size":"L"}', '{"color":"green","size":"XL"}'
          ]::jsonb[])[1 + i % 12],
          d,
          d
        from generate_series(${from}::bigint, ${to}::bigint) as i,
          -- Each computed once per row: the number's text and the date.
          lateral (select i::text as s, timestamptz '2025-01-01 00:00:00+00' + i * interval '1 minute' as d) as v
      `);
      onProgress?.(to - (last - count));
    }
  });
  return count;
}
