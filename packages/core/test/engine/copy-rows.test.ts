import type net from "node:net";
import { buffer } from "node:stream/consumers";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PageRows } from "../../src/engine/copy/parse";
import { CopyRows } from "../../src/engine/copy/rows";
import { writerFor } from "../../src/engine/formats";
import { ByteWriter } from "../../src/engine/formats/bytes";
import { productsResource } from "../../src/resources/products";
import { fieldsByName } from "../../src/resources/serialize";
import type { ResourceField } from "../../src/resources/types";
import { seedProducts } from "../../src/seed/products";
import { createTestDatabase, type TestDatabase } from "../../src/testing";
import { seededRandom } from "./helpers";
import { startTcpProxy } from "./tcp-proxy";

let t: TestDatabase;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;

/**
 * A TCP proxy in front of the real server that hands the server's bytes to the client in pieces of 1 to 300
 * bytes (a fixed pseudo-random sequence), one write per turn of the event loop: message headers and rows are
 * split at every kind of place, so the reader's carrying-over between chunks is exercised.
 */
function splitting(client: net.Socket, server: net.Socket) {
  const random = seededRandom(42);
  const next = () => 1 + random(300);
  client.pipe(server);
  let queue = Promise.resolve();
  server.on("data", (data: Buffer) => {
    server.pause();
    queue = queue.then(async () => {
      for (let at = 0; at < data.length; ) {
        const n = next();
        client.write(data.subarray(at, at + n));
        at += n;
        await new Promise((r) => setImmediate(r));
      }
      server.resume();
    });
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  await seedProducts(t.db, 1200);
  proxy = await startTcpProxy(t.url, splitting);
});

afterAll(async () => {
  proxy?.close();
  await t?.destroy();
});

function proxiedClient() {
  return new pg.Client({ connectionString: proxy.url });
}

const fields = fieldsByName(productsResource, ["id", "sku", "name", "price", "is_active"]);
const SELECT =
  "select id, sku, name, price, case when is_active then 'true' when not is_active then 'false' end, id from products order by id";

/**
 * A COPY of `select` read through `CopyRows` with CSV's field-by-field encoder, and (`withLine`) its one-pass
 * line encoder in front of it: the bytes written, the last id read, the rows written.
 */
async function readCsvCopy(
  client: pg.Client,
  select: string,
  columns: number,
  idColumn: number,
  fields: readonly ResourceField[],
  withLine: boolean,
) {
  const csv = writerFor("csv");
  const copy = client.query(new CopyRows(`COPY (${select}) TO STDOUT WITH (FORMAT csv)`, columns, idColumn));
  const part = copy.part(
    Number.POSITIVE_INFINITY,
    csv.rowEncoder(fields, 0),
    withLine ? (csv.lineEncoder?.(fields, columns, idColumn) ?? null) : null,
  );
  const out = await buffer(part);
  return { out: out.toString("utf8"), lastId: part.page.lastId, written: part.page.written };
}

describe("CopyRows", () => {
  it("reads COPY's protocol split at any byte into the same rows as a whole read (CSV's one-pass line encoder giving the bytes of the field-by-field one), and hands the connection back", async () => {
    const csv = writerFor("csv");
    const client = proxiedClient();
    await client.connect();
    try {
      const copy = client.query(
        new CopyRows(`COPY (${SELECT}) TO STDOUT WITH (FORMAT csv)`, fields.length + 1, fields.length),
      );
      // Read in parts of 7, 500, 1 and the rest (692): each ends after its rows, the next goes on from there.
      const line = () => csv.lineEncoder?.(fields, fields.length + 1, fields.length) ?? null;
      const chunks: Buffer[] = [];
      const lastIds: Array<number | null> = [];
      let first = 0;
      for (const limit of [7, 500, 1, Number.POSITIVE_INFINITY]) {
        const part = copy.part(limit, csv.rowEncoder(fields, first), line());
        chunks.push(await buffer(part));
        expect(part.page.rows).toBe(Math.min(limit, 1200 - first));
        expect(part.page.written).toBe(part.page.rows);
        first += part.page.rows;
        lastIds.push(part.page.lastId);
      }
      expect(lastIds).toEqual([7, 507, 508, 1200]);
      expect(copy.done).toBe(true);
      // After the end, a part has no rows.
      const after = copy.part(10, csv.rowEncoder(fields, 1200));
      expect((await buffer(after)).length).toBe(0);
      expect(after.page.rows).toBe(0);
      const out = Buffer.concat(chunks);

      // Reference: the same COPY read whole (pg-copy-streams, unsplit), through the same encoder.
      const whole = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const plain = new pg.Client({ connectionString: t.url });
        plain
          .connect()
          .then(async () => {
            const { to } = await import("pg-copy-streams");
            const stream = plain.query(to(`COPY (${SELECT}) TO STDOUT WITH (FORMAT csv)`));
            stream.on("data", (c: Buffer) => chunks.push(c));
            stream.on("error", reject);
            stream.on("end", () => {
              plain.end().catch(() => {});
              resolve(Buffer.concat(chunks));
            });
          })
          .catch(reject);
      });
      const reference = new PageRows(fields.length + 1, csv.rowEncoder(fields, 0)).encodeAll(whole);
      expect(out.equals(reference)).toBe(true);

      // node-postgres has its connection back.
      const next = await client.query<{ n: number }>("select 41 + 1 as n");
      expect(next.rows[0]?.n).toBe(42);
    } finally {
      await client.end();
    }
  });

  it("CSV's line encoder writes exactly what the field-by-field encoder writes, whatever the cells", async () => {
    // Text cells at every edge case (formula characters, white space at either end, NBSP, quotes, commas,
    // line breaks, empty, NULL), booleans as PostgreSQL prints them (t/f, the projection's) or as words, and NULL,
    // the id selected as a field or added at the end.
    const texts = [
      "plain",
      "=1+1",
      "+90",
      "-x",
      "@a",
      "\tx",
      " lead",
      "trail ",
      "\u00a0nb",
      "nb\u00a0",
      'q"uote',
      "a,b",
      "l\nf",
      "c\rr",
      "",
      null,
      "İstanbul",
      "x y",
    ];
    const rows = texts.map(
      (text, i) =>
        `(${i + 1}, ${text === null ? "null" : `E'${text.replaceAll("'", "''")}'`}, ${i % 3 === 0 ? "null" : i % 2 === 0 ? "true" : "false"})`,
    );
    const values = `(values ${rows.join(", ")}) as v(id, name, flag)`;
    const textField = fieldsByName(productsResource, ["id", "name", "is_active"]);
    const bool = "case when flag then 'true' when not flag then 'false' end";
    const direct = new pg.Client({ connectionString: t.url });
    await direct.connect();
    try {
      for (const flag of [bool, "flag"]) {
        for (const [select, columns, idColumn] of [
          [`select id, name, ${flag} from ${values} order by id`, 3, 0],
          [`select name, ${flag}, id from ${values} order by id`, 3, 2],
        ] as const) {
          const fieldsHere = idColumn === 0 ? textField : textField.slice(1);
          const read = (withLine: boolean) =>
            readCsvCopy(direct, select, columns, idColumn, fieldsHere, withLine);
          const general = await read(false);
          expect(general.written).toBe(texts.length);
          expect(await read(true)).toEqual(general);
          // t/f or words from PostgreSQL, the same file.
          if (flag === "flag") {
            const words = select.replace(", flag", `, ${bool}`).replace("flag, id", `${bool}, id`);
            expect(await readCsvCopy(direct, words, columns, idColumn, fieldsHere, false)).toEqual(general);
          }
        }
      }
    } finally {
      await direct.end();
    }
  });

  it("CSV's line encoder writes PostgreSQL's t/f as words itself, without handing the row on", () => {
    const encode = writerFor("csv").lineEncoder?.(
      fieldsByName(productsResource, ["id", "name", "is_active"]),
      3,
      0,
    );
    if (!encode) throw new Error("no line encoder for these fields");
    for (const [line, expected] of [
      ["1,plain,t\n", "1,plain,true\r\n"],
      ["2,x,f\n", "2,x,false\r\n"],
      ["3,,\n", "3,,\r\n"],
      ["4,y,true\n", "4,y,true\r\n"],
    ]) {
      const src = Buffer.from(line as string);
      const out = new ByteWriter();
      expect(encode(src, 0, src.length, out), line).toBe(Number((line as string).split(",")[0]));
      expect(out.flush().toString("utf8")).toBe(expected);
    }
  });

  it("CSV's one-pass line encoder matches the field-by-field encoder on random cells", async () => {
    // Cells built from the characters every rule looks at, anywhere in the cell: formula characters, ASCII and
    // Unicode white space (NBSP, U+1680, U+2000, U+2028, U+202F, U+3000, U+FEFF, and U+0085 which /\s/ does not
    // match), quotes, commas, CR/LF, a backslash and control characters, one-letter t/f,
    // multi-byte letters. Fixed seed: the same cells every run.
    const alphabet = [
      "a",
      "Z",
      "0",
      "7",
      "=",
      "+",
      "-",
      "@",
      "\t",
      "\r",
      "\n",
      " ",
      '"',
      ",",
      "t",
      "f",
      "İ",
      "ş",
      "€",
      "😀",
      "\\",
      "\u0001",
      "\u007f",
      "\u00a0",
      "\u1680",
      "\u2000",
      "\u2028",
      "\u2029",
      "\u200a",
      "\u202f",
      "\u205f",
      "\u3000",
      "\ufeff",
      "\u0085",
      "\u000b",
    ];
    const random = seededRandom(7);
    const cell = () => {
      const kind = random(10);
      if (kind === 0) return null;
      if (kind === 1) return "";
      if (kind < 5) return `plain ${random(1000)} text`;
      return Array.from({ length: 1 + random(6) }, () => alphabet[random(alphabet.length)]).join("");
    };
    const direct = new pg.Client({ connectionString: t.url });
    await direct.connect();
    try {
      const n = 3000;
      const names = Array.from({ length: n }, cell);
      const skus = Array.from({ length: n }, cell);
      const flags = Array.from({ length: n }, () => [true, false, null][random(3)] ?? null);
      const prices = Array.from({ length: n }, () =>
        random(8) === 0 ? null : `${random(3) === 0 ? "-" : ""}${random(100000)}.${random(100)}`,
      );
      await direct.query(
        "create temporary table random_cells (id int primary key, name text, sku text, flag boolean, price numeric(12, 2))",
      );
      await direct.query(
        `insert into random_cells select i, n, s, f, p
         from unnest($1::text[], $2::text[], $3::boolean[], $4::numeric[]) with ordinality as u(n, s, f, p, i)`,
        [names, skus, flags, prices],
      );
      const bool = "case when flag then 'true' when not flag then 'false' end";
      const [id, name, sku, active, price] = fieldsByName(productsResource, [
        "id",
        "name",
        "sku",
        "is_active",
        "price",
      ]);
      if (!id || !name || !sku || !active || !price) throw new Error("products lacks a field this test uses");
      for (const [select, columns, idColumn, fieldsHere] of [
        [
          `select id, name, sku, ${bool}, price from random_cells order by id`,
          5,
          0,
          [id, name, sku, active, price],
        ],
        [
          `select name, ${bool}, price, sku, id from random_cells order by id`,
          5,
          4,
          [name, active, price, sku],
        ],
        [`select ${bool}, name, id from random_cells order by id`, 3, 2, [active, name]],
      ] as const) {
        const read = (withLine: boolean) =>
          readCsvCopy(direct, select, columns, idColumn, fieldsHere, withLine);
        const general = await read(false);
        expect(general.written).toBe(n);
        const line = await read(true);
        expect(line.lastId).toBe(general.lastId);
        expect(line.written).toBe(general.written);
        // Row by row, so that a difference shows where it is.
        const [a, b] = [line.out.split("\r\n"), general.out.split("\r\n")];
        for (let i = 0; i < Math.max(a.length, b.length); i++) expect(a[i], `row ${i}`).toBe(b[i]);
      }
    } finally {
      await direct.end();
    }
  });

  it("fails with the server's error when the query fails mid-COPY; the connection stays usable", async () => {
    const client = proxiedClient();
    await client.connect();
    try {
      const copy = client.query(
        new CopyRows(
          "COPY (select id, repeat(sku, 20), 100 / (1100 - id), id from products) TO STDOUT WITH (FORMAT csv)",
          4,
        ),
      );
      // A first part of 10 rows ends well; the error fails the part being read and any part after it.
      const first = copy.part(10, () => {});
      await buffer(first);
      expect(first.page.rows).toBe(10);
      const second = copy.part(Number.POSITIVE_INFINITY, () => {});
      await expect(buffer(second)).rejects.toThrow(/division by zero/);
      expect(second.page.rows).toBeGreaterThan(0); // rows had arrived: the error came mid-stream
      await expect(buffer(copy.part(5, () => {}))).rejects.toThrow(/division by zero/);
      const after = await client.query<{ n: number }>("select 7 as n");
      expect(after.rows[0]?.n).toBe(7);
    } finally {
      await client.end();
    }
  });
});
