/**
 * In-process CPU of the row encoders (issue 15): COPY's text of a table, read once from the database, then
 * parsed and encoded again and again as a page's rows are (`CopyRows`: the line encoder, else `parseRow` and
 * the row encoder), the process's CPU time per pass. Two source trees can be compared in one process,
 * alternating (`--old <path to another src/>`): the same input, the same JIT state, the noise of a shared
 * machine spread over both. Output bytes are hashed: both trees must print the same hash.
 *
 *   npx tsx scripts/encode-cpu.ts postgres://postgres@127.0.0.1:5432/db [--rows 200000] [--runs 15]
 *     [--only orders:csv,products:json] [--old /tmp/old-src]
 */
import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sql } from "drizzle-orm";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";

const args = process.argv.slice(2);
const url = args[0];
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : (args[i + 1] as string);
};
const rows = Number(opt("rows", "200000"));
const runs = Number(opt("runs", "15"));
const only = opt("only", "orders:csv,orders:json,orders:xls,products:csv,products:json,products:xls").split(
  ",",
);
const trees = [
  new URL("../src", import.meta.url).pathname,
  ...(args.includes("--old") ? [opt("old", "")] : []),
];

interface Tree {
  name: string;
  /** The output, in chunks (hashed after the timing). */
  encode(data: Buffer, job: Job): Buffer[];
}
interface Job {
  key: string;
  resource: string;
  format: "csv" | "json" | "xls";
}

async function loadTree(root: string): Promise<Tree & { query(job: Job): Promise<{ text: string }> }> {
  const { resourceByKey } = await import(`${root}/resources/registry.ts`);
  const { copyPageQuery } = await import(`${root}/engine/copy/query.ts`);
  const { writerFor } = await import(`${root}/engine/formats/index.ts`);
  const { PageRows, parseRow } = await import(`${root}/engine/copy/parse.ts`);
  const { ByteWriter } = await import(`${root}/engine/formats/bytes.ts`);
  const lineCache = await import(`${root}/engine/formats/line-cache.ts`).catch(() => null);
  const plan = (job: Job) => {
    const resource = resourceByKey(job.resource);
    const fields = resource.fields;
    const query = copyPageQuery(
      { formatType: job.format },
      { resource, fields, where: undefined },
      sql`true`,
      rows,
    );
    return { fields, query, writer: writerFor(job.format) };
  };
  // Each row's start (as COPY's messages delimit them), found once, outside the timing.
  const cache = new Map<Buffer, Int32Array>();
  const lines = (data: Buffer, columns: number) => {
    let bounds = cache.get(data);
    if (!bounds) {
      const scratch = new PageRows(columns, () => {}, 0).row;
      const at = [0];
      let p = 0;
      while (p < data.length) {
        p = parseRow(data, p, data.length, scratch);
        at.push(p);
      }
      bounds = Int32Array.from(at);
      cache.set(data, bounds);
    }
    return bounds;
  };
  // One row encoder per job, restarted for each pass as a run restarts it for each page (`RowEncoder.restart`);
  // a tree without `restart` gets a new one per pass, as its pages did.
  const encoders = new Map<string, { restart?: (row: number) => void }>();
  const rowEncoder = (job: Job, writer: { rowEncoder(f: unknown, r: number): unknown }, fields: unknown) => {
    let encoder = encoders.get(job.key);
    if (encoder?.restart) encoder.restart(0);
    else {
      encoder = writer.rowEncoder(fields, 0) as { restart?: (row: number) => void };
      encoders.set(job.key, encoder);
    }
    return encoder;
  };
  return {
    name: root,
    async query(job) {
      return plan(job).query;
    },
    encode(data, job) {
      const { fields, query, writer } = plan(job);
      const encoder = rowEncoder(job, writer, fields) as {
        line?: (columns: number, idColumn: number) => typeof line;
      };
      const page = new PageRows(query.columns, encoder, query.idColumnAt);
      // As a page gets it (made once per shape where the tree caches it; else the row encoder's own).
      const line =
        (lineCache
          ? lineCache.lineEncoderFor(writer, fields, query.columns, query.idColumnAt)
          : (writer.lineEncoder?.(fields, query.columns, query.idColumnAt) ?? null)) ??
        encoder.line?.(query.columns, query.idColumnAt) ??
        null;
      const out = new ByteWriter(1 << 22);
      const chunks: Buffer[] = [];
      const row = page.row;
      let viaLine = 0;
      const bounds = lines(data, query.columns);
      for (let i = 0; i + 1 < bounds.length; i++) {
        const s = bounds[i] as number;
        const e = bounds[i + 1] as number;
        const id = line === null ? -1 : line(data, s, e, out);
        if (id >= 0) {
          page.added(id);
          viaLine++;
        } else {
          parseRow(data, s, e, row);
          page.add(out);
        }
        if (out.pos - out.start >= 1 << 20) chunks.push(out.flush());
      }
      chunks.push(out.flush());
      lineShare.set(job.key, viaLine / (bounds.length - 1));
      return chunks;
    },
  };
}

async function copyText(text: string): Promise<Buffer> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("begin; set local datestyle = 'ISO'");
  const chunks: Buffer[] = [];
  await pipeline(
    client.query(copyTo(`COPY (${text}) TO STDOUT WITH (FORMAT csv)`)),
    new Writable({
      write(chunk, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
  );
  await client.query("commit");
  await client.end();
  return Buffer.concat(chunks);
}

/** The share of the rows the line encoder took, by job (the last tree's run). */
const lineShare = new Map<string, number>();
const loaded = await Promise.all(trees.map(loadTree));
for (const key of only) {
  const [resource, format] = key.split(":") as [string, Job["format"]];
  const job: Job = { key, resource, format };
  const data = await copyText((await (loaded[0] as (typeof loaded)[0]).query(job)).text);
  const times = loaded.map(() => [] as number[]);
  const hashes = loaded.map(() => new Set<string>());
  for (let r = 0; r < runs; r++) {
    // Alternating which tree goes first, so that neither always runs after the other's garbage.
    const order = r % 2 === 0 ? loaded.map((_, t) => t) : loaded.map((_, t) => t).reverse();
    order.forEach((t) => {
      const tree = loaded[t] as (typeof loaded)[0];
      const before = process.cpuUsage();
      const digest = tree.encode(data, job);
      const used = process.cpuUsage(before);
      (times[t] as number[]).push((used.user + used.system) / 1000);
      const hash = createHash("sha1");
      for (const chunk of digest) hash.update(chunk);
      hashes[t]?.add(hash.digest("hex"));
    });
  }
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `least ${s[0]?.toFixed(0)} / median ${s[Math.floor(s.length / 2)]?.toFixed(0)} ms`;
  };
  loaded.forEach((_, t) => {
    console.log(
      `${key} ${t === 0 ? "new" : "old"}: ${stat(times[t] as number[])} (${data.length} input bytes) hash ${[...(hashes[t] as Set<string>)].join(",")}`,
    );
  });
  console.log(`${key}: the line encoder took ${((lineShare.get(key) ?? 0) * 100).toFixed(1)}% of the rows`);
}
