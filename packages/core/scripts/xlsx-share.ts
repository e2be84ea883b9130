/** Where XLSX's CPU goes past the encoder: one 200k-row page's XML, then CRC, deflate stream, stages. */
import { readFileSync, readdirSync } from "node:fs";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32, deflateRawSync, constants } from "node:zlib";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { sql } from "drizzle-orm";
import { resourceByKey } from "../src/resources/registry";
import { copyPageQuery } from "../src/engine/copy/query";
import { writerFor } from "../src/engine/formats/index";
import { PageRows, parseRow } from "../src/engine/copy/parse";
import { ByteWriter } from "../src/engine/formats/bytes";
import { segmentStages } from "../src/engine/formats/segment";

const url = process.argv[2] as string;
const which = process.argv[3] ?? "orders";
const ticks = () => {
  let main = 0, other = 0;
  for (const t of readdirSync("/proc/self/task")) {
    const f = readFileSync(`/proc/self/task/${t}/stat`, "utf8").split(") ")[1]!.split(" ");
    const v = (Number(f[11]) + Number(f[12])) * 10;
    if (t === String(process.pid)) main += v; else other += v;
  }
  return { main, other };
};
const resource = resourceByKey(which);
const query = copyPageQuery({ formatType: "xls" } as never, { resource, fields: resource.fields, where: undefined } as never, sql`true`, 200000)!;
const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query("begin; set local datestyle = 'ISO'");
const parts: Buffer[] = [];
await pipeline(client.query(copyTo(`COPY (${query.text}) TO STDOUT WITH (FORMAT csv)`)), new Writable({ write(c, _e, cb) { parts.push(c); cb(); } }));
await client.end();
const data = Buffer.concat(parts);
const writer = writerFor("xls");
const encodeAll = () => {
  const page = new PageRows(query.columns, writer.rowEncoder(resource.fields, 0), query.idColumnAt);
  const out = new ByteWriter(4 << 20);
  const chunks: Buffer[] = [];
  let p = 0;
  while (p < data.length) {
    const e = parseRow(data, p, data.length, page.row);
    p = e;
    page.add(out);
    if (out.pos - out.start >= 1 << 20) chunks.push(out.flush());
  }
  chunks.push(out.flush());
  return chunks;
};
const xml = encodeAll();
const total = xml.reduce((n, c) => n + c.length, 0);
console.log(`${which}: ${data.length} COPY bytes -> ${total} XML bytes in ${xml.length} chunks`);
const runs = Number(process.argv[4] ?? 5);
const res: Record<string, number[][]> = {};
const time = async (name: string, f: () => unknown) => {
  const a = ticks(); const t0 = performance.now();
  await f();
  const b = ticks();
  (res[name] ??= []).push([b.main - a.main, b.other - a.other, performance.now() - t0]);
};
for (let r = 0; r < runs; r++) {
  await time("encode", encodeAll);
  await time("crc32", () => { let c = 0; for (const x of xml) c = crc32(x, c); });
  await time("deflateRawSync l1 per chunk", () => { for (const x of xml) deflateRawSync(x, { level: 1, finishFlush: constants.Z_SYNC_FLUSH }); });
  await time("segmentStages pipeline", () => pipeline([Readable.from(xml), ...segmentStages(0), new Writable({ write(_c, _e, cb) { cb(); } })]));
}
for (const [k, v] of Object.entries(res)) {
  const s = (i: number) => v.map((x) => x[i]!).sort((a, b) => a - b)[0]!.toFixed(0);
  console.log(`${k}: least main ${s(0)} / other ${s(1)} / wall ${s(2)} ms`);
}
if (process.env.SHOW) console.log(xml[0]!.subarray(0, 1400).toString());
