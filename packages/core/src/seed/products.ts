import { sql } from "drizzle-orm";
import type { Db } from "../db/client";

const CHUNK = 250_000;

/**
 * Inserts `count` deterministic demo products generated inside PostgreSQL (a million in seconds). Some names
 * are hostile: non-ASCII ("İstanbul"), commas, quotes, new lines, spreadsheet formulas.
 */
export async function seedProducts(
  db: Db,
  count: number,
  onProgress?: (done: number) => void,
): Promise<number> {
  const start = await db.execute<{ n: number }>(
    sql`select coalesce(max(substring(sku from 5)::bigint), 0) as n from products where sku ~ '^SKU-[0-9]{1,15}$'`,
  );
  let from = Number(start.rows[0]?.n ?? 0) + 1;
  const last = from + count - 1;
  while (from <= last) {
    const to = Math.min(from + CHUNK - 1, last);
    await db.execute(sql`
      insert into products (sku, name, price, currency, stock, is_active, attributes, created_date, modified_date)
      select
        'SKU-' || lpad(i::text, greatest(8, length(i::text)), '0'),
        case
          when i % 1000 = 0 then '=HYPERLINK("http://example.invalid","Product ' || i || '")'
          when i % 997 = 0 then 'Çay bardağı, "İnce belli" ' || i || E'\nİstanbul'
          else (array['Blue', 'Red', 'Green', 'Black', 'White', 'İznik'])[1 + i % 6] || ' ' ||
               (array['Shirt', 'Mug', 'Lamp', 'Chair', 'Kilim', 'Notebook', 'Şal'])[1 + i % 7] || ' ' || i
        end,
        ((i::bigint * 7919) % 100000) / 100.0 + 1,
        (array['TRY', 'USD', 'EUR'])[1 + i % 3],
        (i::bigint * 31) % 500,
        i % 10 <> 0,
        jsonb_build_object('color', (array['blue', 'red', 'green'])[1 + i % 3], 'size', (array['S', 'M', 'L', 'XL'])[1 + i % 4]),
        timestamptz '2025-01-01 00:00:00+00' + i * interval '1 minute',
        timestamptz '2025-01-01 00:00:00+00' + i * interval '1 minute'
      from generate_series(${from}::bigint, ${to}::bigint) as i
    `);
    onProgress?.(to - (last - count));
    from = to + 1;
  }
  return count;
}
