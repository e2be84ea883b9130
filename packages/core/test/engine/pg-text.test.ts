import { buffer } from "node:stream/consumers";
import { integer, json, jsonb, PgDialect, pgTable, timestamp } from "drizzle-orm/pg-core";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyProjection } from "../../src/engine/copy/query";
import { CopyRows } from "../../src/engine/copy/rows";
import { writerFor } from "../../src/engine/formats";
import { ByteWriter } from "../../src/engine/formats/bytes";
import { compactJson } from "../../src/engine/formats/cells";
import {
  compactJsonb,
  DATETIME_TEXT_SETTINGS,
  datetimeEnd,
  isoDatetimeField,
} from "../../src/engine/formats/pg-text";
import type { LineEncoder } from "../../src/engine/formats/types";
import type { ResourceField } from "../../src/resources/types";
import { createTestDatabase, type TestDatabase } from "../../src/testing";

// Date-times are selected as PostgreSQL's text and made ISO 8601 in Node, jsonb is compacted byte by byte:
// the files must hold exactly what the old path wrote (`to_char` in the server, JSON.parse + JSON.stringify).
// Random values on the real server, old and new path side by side, through every encoder that takes them.

const cells = pgTable("pg_text_cells", {
  id: integer("id").primaryKey(),
  doc: jsonb("doc"),
  tz3: timestamp("tz3", { withTimezone: true, precision: 3 }),
  plain3: timestamp("plain3", { precision: 3 }),
  tz6: timestamp("tz6", { withTimezone: true, precision: 6 }),
});

// The same column declared `json`: its cells take the old path (`compactJson`) in every encoder.
const asJson = pgTable("pg_text_cells", { doc: json("doc") });

const field = (
  name: string,
  column: ResourceField["column"],
  type: ResourceField["type"],
): ResourceField => ({
  name,
  labels: { en: name, tr: name },
  column,
  type,
});
const FIELDS = [
  field("id", cells.id, "integer"),
  field("doc", cells.doc, "json"),
  field("tz3", cells.tz3, "datetime"),
  field("plain3", cells.plain3, "datetime"),
  field("tz6", cells.tz6, "datetime"),
];

// The old projections, as `copyProjection` wrote them before: to_char in the server.
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const OLD_SELECT = `select id, doc::text as doc,
  to_char(tz3 at time zone 'UTC', ${ISO}) as tz3,
  to_char(plain3, ${ISO}) as plain3,
  to_char(date_trunc('milliseconds', tz6) at time zone 'UTC', ${ISO}) as tz6
  from pg_text_cells order by id`;

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** Timestamp literals anywhere PostgreSQL takes them: BC, past 9999, any fraction, any offset, ±infinity. */
const timestampText = fc.oneof(
  { weight: 12, arbitrary: fc.constant(null) },
  {
    weight: 85,
    arbitrary: fc
      .record({
        year: fc.oneof(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 10000, max: 200000 })),
        bc: fc.integer({ min: 0, max: 9 }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 28 }),
        h: fc.integer({ min: 0, max: 23 }),
        m: fc.integer({ min: 0, max: 59 }),
        s: fc.integer({ min: 0, max: 59 }),
        fraction: fc.oneof(
          fc.constant(""),
          fc.stringMatching(/^[0-9]{1,6}$/),
          fc.constantFrom("5", "50", "500", "000"),
        ),
        offset: fc.constantFrom("+00", "Z", "+05:30", "-03:30", "+05:45", "-12", "+14:00", "+02:30:15"),
      })
      .map(({ year, bc, month, day, h, m, s, fraction, offset }) => {
        const era = bc === 0 && year < 4700 ? " BC" : "";
        const frac = fraction === "" ? "" : `.${fraction}`;
        return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${frac}${offset}${era}`;
      }),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom("infinity", "-infinity", "epoch", "1970-01-01 00:00:00.999999+00"),
  },
);

/** JSON text with what jsonb and JSON.stringify may write differently, in any spacing. */
const jsonText = (() => {
  const char = fc.oneof(
    fc.constantFrom(...'\b\t\n\f\r\u0001\u001f\u007f"\\/ ,:{}[]-=+@0179eE.tfnİé😀\u2028\u00a0'),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
  );
  const str = fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: char, maxLength: 8 }).map((s) => JSON.stringify(s)) },
    // Escapes JSON.stringify never writes: jsonb decodes them, both print the character.
    {
      weight: 1,
      arbitrary: fc.constantFrom('"a\\/b"', '"\\u00e9\\u0041"', '"\\u001F\\u0008"', '"\\ud83d\\ude00"'),
    },
  );
  // Integer-like keys: JavaScript puts them first in ascending order, jsonb sorts keys by length.
  const key = fc.oneof(
    str,
    fc.constantFrom('"0"', '"1"', '"10"', '"9"', '"007"', '"4294967295"', '"-1"', '""'),
  );
  const num = fc.oneof(
    fc.integer().map(String),
    fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }).map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
    fc.constantFrom(
      "1.50",
      "-0",
      "-0.0",
      "0.0",
      "1e100",
      "1E-7",
      "1e+100",
      "0.000001",
      "0.0000001",
      "123456789012345678",
      "9007199254740993",
      "100000000000000000000",
      "1000000000000000000000",
      "-12.340",
      "1e400",
      "5e-324",
    ),
  );
  const space = fc.constantFrom("", " ", "  ", "\n", "\t");
  const { value } = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      str,
      num,
      fc.constantFrom("true", "false", "null"),
      tie("object"),
      tie("array"),
    ),
    object: fc
      .array(fc.tuple(key, space, tie("value")), { maxLength: 5 })
      .map((entries) => `{${entries.map(([k, s, v]) => `${s}${k}${s}:${s}${v}`).join(",")}}`),
    array: fc
      .array(fc.tuple(space, tie("value")), { maxLength: 5 })
      .map((items) => `[${items.map(([s, v]) => `${s}${v}${s}`).join(",")}]`),
  }));
  return fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 9, arbitrary: value });
})();

let t: TestDatabase;
let client: pg.Client;
const N = 3000;

beforeAll(async () => {
  t = await createTestDatabase();
  client = new pg.Client({ connectionString: t.url });
  await client.connect();
  await client.query(
    `create table pg_text_cells (id int primary key, doc jsonb, tz3 timestamptz(3), plain3 timestamp(3), tz6 timestamptz(6))`,
  );
  const times = fc.sample(timestampText, { seed: 20261203, numRuns: N });
  const docs = fc.sample(jsonText, { seed: 20261204, numRuns: N });
  await client.query(
    `insert into pg_text_cells select i, d::jsonb, v::timestamptz, v::timestamp, v::timestamptz
     from unnest($1::text[], $2::text[]) with ordinality as u(v, d, i)`,
    [times, docs],
  );
});

afterAll(async () => {
  await client?.end();
  await t?.destroy();
});

/** The old path's cells: to_char's text, jsonb compacted by JSON.parse + JSON.stringify. */
async function oldCells() {
  const { rows } = await client.query<Record<string, string | null>>(OLD_SELECT);
  return rows.map((r) => ({
    id: Number(r.id),
    doc: typeof r.doc === "string" ? compactJson(r.doc) : null,
    tz3: r.tz3 ?? null,
    plain3: r.plain3 ?? null,
    tz6: r.tz6 ?? null,
  }));
}

/** The new path: `copyProjection`'s COPY (in a session whose DateStyle and zone are odd) through a format's encoders. */
async function newPath(format: "csv" | "json", withLine: boolean) {
  const writer = writerFor(format);
  const dialect = new PgDialect();
  const columns = FIELDS.map((f) => {
    const projection = copyProjection(f, writer.datetime);
    if (!projection) throw new Error(`no COPY form for ${f.name}`);
    return dialect.sqlToQuery(projection).sql;
  });
  await client.query(
    `begin; set local datestyle = 'SQL, DMY'; set local timezone = 'Asia/Kathmandu'; ${DATETIME_TEXT_SETTINGS}`,
  );
  try {
    const select = `select ${columns.join(", ")} from pg_text_cells order by id`;
    const copy = client.query(new CopyRows(`COPY (${select}) TO STDOUT WITH (FORMAT csv)`, FIELDS.length, 0));
    const line = withLine ? (writer.lineEncoder?.(FIELDS, FIELDS.length, 0) ?? null) : null;
    // Rows the one-pass line encoder wrote itself: it must take the common ones, not leave them all to the other.
    let taken = 0;
    const counted: LineEncoder | null = line
      ? (src, s, e, out) => {
          const id = line(src, s, e, out);
          if (id >= 0) taken++;
          return id;
        }
      : null;
    const part = copy.part(Number.POSITIVE_INFINITY, writer.rowEncoder(FIELDS, 0), counted);
    const out = (await buffer(part)).toString("utf8");
    expect(part.page.written).toBe(N);
    if (withLine) expect(taken).toBeGreaterThan(N / 4);
    return out;
  } finally {
    await client.query("commit");
  }
}

/** A CSV cell as the old encoder wrote it: a formula neutralised, quoted as csv-stringify quotes. */
function oldCsvCell(text: string | null): string {
  if (text === null) return "";
  const neutral = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]|^\s|\s$/.test(neutral) ? `"${neutral.replaceAll('"', '""')}"` : neutral;
}

const lines = (text: string, end: string) => text.split(end);

describe("PostgreSQL's text forms made into the old bytes in Node", () => {
  it("CSV (the one-pass line encoder and the field-by-field one): the bytes of to_char and compactJson", async () => {
    const expected = (await oldCells()).map(
      (c) => `${c.id},${[c.doc, c.tz3, c.plain3, c.tz6].map(oldCsvCell).join(",")}`,
    );
    for (const withLine of [true, false]) {
      const got = lines(await newPath("csv", withLine), "\r\n");
      expect(got.pop()).toBe("");
      expect(got.length).toBe(N);
      for (let i = 0; i < N; i++) expect(got[i], `row ${i + 1}, line encoder: ${withLine}`).toBe(expected[i]);
    }
  });

  it("CSV's line encoder writes the common rows itself: quoted jsonb, date-times, NULLs", () => {
    const encode = writerFor("csv").lineEncoder?.(FIELDS, FIELDS.length, 0);
    if (!encode) throw new Error("no line encoder for these fields");
    const cases = [
      [
        '7,"{""a"": ""b, \\"""", ""c"": [1, {}]}",2025-01-01 00:01:00+00,2025-01-01 00:01:00.5,10000-01-01 00:00:00.12+00 BC\n',
        '7,"{""a"":""b, \\"""",""c"":[1,{}]}",2025-01-01T00:01:00.000Z,2025-01-01T00:01:00.500Z,10000-01-01T00:00:00.120Z\r\n',
      ],
      ["8,,,infinity,\n", "8,,,,\r\n"],
      ["9,[],2025-06-01 12:00:00.123+00,,\n", "9,[],2025-06-01T12:00:00.123Z,,\r\n"],
    ];
    for (const [line, expected] of cases) {
      const src = Buffer.from(line as string);
      const out = new ByteWriter();
      expect(encode(src, 0, src.length, out), line).toBe(Number((line as string).split(",")[0]));
      expect(out.flush().toString("utf8")).toBe(expected);
    }
  });

  it("the one-pass date-time reader takes UTC's `+00` (how a timestamp with zone prints in the run) and no other zone", () => {
    const read = (text: string) => {
      const src = Buffer.from(text);
      const buf = Buffer.alloc(64);
      const q = isoDatetimeField(buf, 0, src, 0);
      return q < 0 ? null : [buf.subarray(0, q).toString(), datetimeEnd.at];
    };
    expect(read("2025-06-01 12:00:00.12+00,")).toEqual(["2025-06-01T12:00:00.120Z", 25]);
    expect(read("2025-06-01 12:00:00+00\n")).toEqual(["2025-06-01T12:00:00.000Z", 22]);
    expect(read("2025-06-01 12:00:00.123,")).toEqual(["2025-06-01T12:00:00.123Z", 23]);
    for (const other of ["+05:30,", "+00:30,", "+00 BC,", "-00,", "+01,"])
      expect(read(`2025-06-01 12:00:00.123${other}`), other).toBeNull();
  });

  it("JSON (the one-pass line encoder and the row encoder): the bytes of to_char and compactJson", async () => {
    const expected = (await oldCells()).map(
      (c) =>
        `{"id":${c.id},"doc":${c.doc ?? "null"},"tz3":${JSON.stringify(c.tz3)},"plain3":${JSON.stringify(c.plain3)},"tz6":${JSON.stringify(c.tz6)}}`,
    );
    for (const withLine of [true, false]) {
      const got = lines(await newPath("json", withLine), ",\n");
      expect(got.pop()).toBe("");
      for (let i = 0; i < N; i++) expect(got[i], `row ${i + 1}, line encoder: ${withLine}`).toBe(expected[i]);
    }
  });

  it("every format's encoder (XLSX's too) writes a jsonb cell as it writes the old path's (`compactJson`)", async () => {
    const id = FIELDS[0] as ResourceField;
    const viaJsonb = [id, field("doc", cells.doc, "json")];
    const viaJson = [id, field("doc", asJson.doc, "json")];
    for (const format of ["csv", "json", "xls"] as const) {
      const writer = writerFor(format);
      const read = async (fields: ResourceField[]) => {
        const copy = client.query(
          new CopyRows(
            "COPY (select id, doc from pg_text_cells order by id) TO STDOUT WITH (FORMAT csv)",
            2,
            0,
          ),
        );
        const line = writer.lineEncoder?.(fields, 2, 0) ?? null;
        const part = copy.part(Number.POSITIVE_INFINITY, writer.rowEncoder(fields, 0), line);
        return (await buffer(part)).toString("utf8");
      };
      const old = await read(viaJson);
      expect(old.length).toBeGreaterThan(N * 10);
      expect(await read(viaJsonb), format).toBe(old);
    }
  });

  it("compacts jsonb's text byte by byte for most values, and declines where only JSON.parse can tell", async () => {
    const { rows } = await client.query<{ doc: string }>(
      "select doc::text as doc from pg_text_cells where doc is not null order by id",
    );
    let fast = 0;
    for (const { doc } of rows) {
      const src = Buffer.from(doc);
      const buf = Buffer.alloc(src.length);
      const p = compactJsonb(buf, 0, src, 0, src.length, false, false);
      if (p < 0) continue;
      fast++;
      expect(buf.toString("utf8", 0, p), doc).toBe(compactJson(doc));
    }
    // The byte path must be the common one, or it proves nothing.
    expect(fast).toBeGreaterThan(rows.length / 3);
    // Declined: integer-like keys, numbers JavaScript prints otherwise.
    for (const text of ['{"1": 1, "a": 2}', "[1.50]", "1e400", "[123456789012345678]", "-0.5"]) {
      const src = Buffer.from(text);
      expect(compactJsonb(Buffer.alloc(src.length), 0, src, 0, src.length, false, false), text).toBe(-1);
    }
  });
});
