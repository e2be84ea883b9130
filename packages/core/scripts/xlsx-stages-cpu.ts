/**
 * Where an XLSX page's CPU goes (issue 15): COPY's text of a table's first rows read once, then, each timed by
 * thread (`/proc/self/task`: this thread against the others — libuv's pool, V8's helpers): the row encoding (the
 * line encoder, else parse + row encoder, as a page does), the CRC-32 of its XML, deflate at level 1 chunk by
 * chunk on this thread, and the page's own stages (`segmentStages`: CRC, deflate on the pool, trailer). Each the
 * least of the runs.
 *
 *   npx tsx scripts/xlsx-stages-cpu.ts postgres://postgres@127.0.0.1:5432/db [--table orders] [--rows 200000] [--runs 5]
 */
import { readdirSync, readFileSync } from "node:fs";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, crc32, deflateRawSync } from "node:zlib";
import { sql } from "drizzle-orm";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { ExportRow } from "../src/db/schema";
import { PageRows, parseRow } from "../src/engine/copy/parse";
import { copyPageQuery } from "../src/engine/copy/query";
import { ByteWriter } from "../src/engine/formats/bytes";
import { writerFor } from "../src/engine/formats/index";
import { segmentStages } from "../src/engine/formats/segment";
import type { ExportScope } from "../src/engine/scope";
import { resourceByKey } from "../src/resources/registry";

const args = process.argv.slice(2);
const url = args[0];
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : (args[i + 1] as string);
};
const resource = resourceByKey(opt("table", "orders"));
const runs = Number(opt("runs", "5"));
const query = copyPageQuery(
  { formatType: "xls" } as ExportRow,
  { resource, fields: resource.fields, where: undefined } as unknown as ExportScope,
  sql`true`,
  Number(opt("rows", "200000")),
);
if (!query) throw new Error("no COPY for these fields");

/** CPU time in ms so far: this (the main) thread, and the process's other threads. */
function threadTimes() {
  let main = 0;
  let other = 0;
  for (const task of readdirSync("/proc/self/task")) {
    const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ms = (Number(fields[11]) + Number(fields[12])) * 10;
    if (task === String(process.pid)) main += ms;
    else other += ms;
  }
  return { main, other };
}

const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query("begin; set local datestyle = 'ISO'");
const read: Buffer[] = [];
await pipeline(
  client.query(copyTo(`COPY (${query.text}) TO STDOUT WITH (FORMAT csv)`)),
  new Writable({
    write(chunk: Buffer, _enc, callback) {
      read.push(chunk);
      callback();
    },
  }),
);
await client.end();
const data = Buffer.concat(read);

// Each row's end, found once, outside the timing (COPY's messages delimit the rows in a page).
const ends: number[] = [];
{
  const scratch = new PageRows(query.columns, () => {}, query.idColumnAt).row;
  for (let p = 0; p < data.length; ) {
    p = parseRow(data, p, data.length, scratch);
    ends.push(p);
  }
}
// One encoder restarted for each pass, as a run restarts it for each page.
const encoder = writerFor("xls").rowEncoder(resource.fields, 0);
const line = encoder.line?.(query.columns, query.idColumnAt) ?? null;
function encodeAll(): Buffer[] {
  encoder.restart?.(0);
  const page = new PageRows(query?.columns ?? 0, encoder, query?.idColumnAt);
  const out = new ByteWriter(4 << 20);
  const chunks: Buffer[] = [];
  let s = 0;
  for (const e of ends) {
    const id = line === null ? -1 : line(data, s, e, out);
    if (id >= 0) page.added(id);
    else {
      parseRow(data, s, e, page.row);
      page.add(out);
    }
    s = e;
    // As `CopyRows` pushes its output.
    if (out.pos - out.start >= 1 << 20) chunks.push(out.flush());
  }
  chunks.push(out.flush());
  return chunks;
}

const xml = encodeAll();
const size = xml.reduce((n, c) => n + c.length, 0);
console.log(`${resource.key}: ${ends.length} rows, ${data.length} COPY bytes, ${size} bytes of XML`);
const times = new Map<string, number[][]>();
async function time(name: string, run: () => unknown) {
  const before = threadTimes();
  const t0 = performance.now();
  await run();
  const after = threadTimes();
  const list = times.get(name) ?? [];
  list.push([after.main - before.main, after.other - before.other, performance.now() - t0]);
  times.set(name, list);
}
for (let r = 0; r < runs; r++) {
  await time("encode (line encoder, else parse + row encoder)", encodeAll);
  await time("CRC-32 of the XML", () => {
    let crc = 0;
    for (const chunk of xml) crc = crc32(chunk, crc);
  });
  await time("deflate level 1, chunk by chunk, this thread", () => {
    for (const chunk of xml) deflateRawSync(chunk, { level: 1, finishFlush: constants.Z_SYNC_FLUSH });
  });
  await time("segmentStages (CRC, deflate on the pool, trailer)", () =>
    pipeline([
      Readable.from(xml),
      ...segmentStages(0),
      new Writable({
        write(_chunk, _enc, callback) {
          callback();
        },
      }),
    ]),
  );
}
for (const [name, list] of times) {
  const least = (i: number) => Math.min(...list.map((t) => t[i] as number)).toFixed(0);
  console.log(`${name}: main thread ${least(0)} / other threads ${least(1)} / wall ${least(2)} ms (least)`);
}
