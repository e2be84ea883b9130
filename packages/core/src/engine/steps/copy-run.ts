import type { Transform } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import type pg from "pg";
import type { ExportRow } from "../../db/schema";
import { isDirectEntry, keys, type PendingFile, type PendingPage } from "../../storage";
import { othersWaiting } from "../claim";
import { type CopyPageQuery, copyPageQuery, PAGE_PLAN_SETTINGS } from "../copy/query";
import { type CopyPart, CopyRows } from "../copy/rows";
import { writerOf } from "../formats";
import { lineEncoderFor } from "../formats/line-cache";
import { DATETIME_TEXT_SETTINGS } from "../formats/pg-text";
import type { FormatWriter, RowEncoder } from "../formats/types";
import { pageRows } from "../page-size";
import type { ExportScope } from "../scope";
import { type DirectPlan, directPlan } from "./direct";
import { type PageRead, type PageStep, recordPage, type StepDeps, type StepOutcome } from "./shared";

/** A part file as a page being written: its entry is its key. */
function filePage(file: PendingFile, key: string): PendingPage {
  return {
    stream: file.stream,
    mode: "object",
    commit: async () => ({ entry: key, size: await file.commit() }),
    abort: () => file.abort(),
  };
}

/**
 * A page being written from the COPY into its part file (or its parts of the direct upload), through the
 * format's part stages. The COPY's part is taken only once the file exists: a part nobody reads must not be
 * failed later with nobody listening.
 */
class PartWrite {
  part: CopyPart | null = null;
  /** Every row of the part is in the file (not committed yet). */
  readonly written: Promise<{ file: PendingPage; part: CopyPart }>;
  private cancelled = false;

  constructor(open: () => Promise<PendingPage>, nextPart: () => CopyPart, stages: Transform[]) {
    this.written = this.write(open, nextPart, stages);
    this.written.catch(() => {}); // awaited in turn; a run that stops first discards it
  }

  cancel() {
    this.cancelled = true;
    this.part?.destroy(new Error("page discarded"));
  }

  private async write(open: () => Promise<PendingPage>, nextPart: () => CopyPart, stages: Transform[]) {
    const file = await open();
    if (this.cancelled) {
      await file.abort();
      throw new Error("page discarded");
    }
    const part = nextPart();
    this.part = part;
    try {
      await pipeline([part, ...stages, file.stream]);
    } catch (err) {
      await file.abort();
      throw err;
    }
    return { file, part };
  }
}

/** Stops a part being written and throws its file away. */
async function discardPart(write: PartWrite | null) {
  if (!write) return;
  write.cancel();
  const done = await write.written.catch(() => null);
  await done?.file.abort();
}

/** Reads the COPY to its end (CopyDone): past the export's last row a row would mean a broken keyset. */
async function finishCopy(copy: CopyRows) {
  const rest = copy.part(Number.POSITIVE_INFINITY, () => {
    throw new Error("unexpected row after the export's last one");
  });
  rest.resume();
  await finished(rest);
  if (rest.page.rows > 0) throw new Error("unexpected row after the export's last one");
}

/** A page being read from the COPY into its part. */
interface PageInHand {
  write: PartWrite;
  limit: number;
  key: string;
}

/** A page's first row (its index in the export), its number, and the records it reads (`pageRows`). */
interface PageStart {
  collectedCount: number;
  page: number;
  rows: number;
}

/** A run's export and COPY; `limit` is its LIMIT; `direct`: its pages go to the result's upload. */
interface RunPlan {
  row: ExportRow;
  scope: ExportScope;
  query: CopyPageQuery;
  limit: number;
  direct: DirectPlan | null;
}

/**
 * One COPY and what is in hand while it streams: its own client (a transaction with the page plan's settings),
 * the page read ahead while the ones before it are synced and recorded, and the parts synced but not yet recorded.
 * `close()` puts it all away, whatever happened.
 */
class CopyRun {
  private readonly copy: CopyRows;
  private readonly writer: FormatWriter;
  private read = 0;
  private failure: Error | undefined;
  private ahead: PageInHand | null = null;
  /** Parts committed in storage and not (yet) being recorded: removed on close. */
  private readonly unrecorded = new Set<string>();
  /** A page of the run went to a part object: the pages after it do too (direct.ts). */
  private objectsOnly = false;
  /** The run's row encoder, made for its first page and restarted for each next one (formats/types.ts). */
  private encoder: RowEncoder | null = null;

  static async open(deps: StepDeps, plan: RunPlan) {
    const run = new CopyRun(deps, plan, await deps.pool.connect());
    // A zone option's `set local timezone`: COPY prints date-times with their offset there.
    const settings = run.writer.sessionSettings ? `; ${run.writer.sessionSettings}` : "";
    try {
      await run.client.query(`begin; ${PAGE_PLAN_SETTINGS}; ${DATETIME_TEXT_SETTINGS}${settings}`);
    } catch (err) {
      await run.close(err as Error);
      throw err;
    }
    run.client.query(run.copy);
    return run;
  }

  private constructor(
    private readonly deps: StepDeps,
    private readonly plan: RunPlan,
    private readonly client: pg.PoolClient,
  ) {
    const { query } = plan;
    this.copy = new CopyRows(
      `COPY (${query.text}) TO STDOUT WITH (FORMAT csv)`,
      query.columns,
      query.idColumnAt,
    );
    this.writer = writerOf(plan.row);
    client.on("error", this.onClientError);
  }

  /**
   * A connection that dies mid-COPY is an 'error' event on the checked-out client, which nobody else hears: it
   * would crash the process. The COPY's part is failed instead, and the step retries.
   */
  private readonly onClientError = (err: Error) => {
    this.failure ??= err;
    this.copy.fail(err);
  };

  get full(): boolean {
    return this.read >= this.plan.limit;
  }

  get done(): boolean {
    return this.copy.done;
  }

  begin(at: PageStart): PageInHand {
    const { row, scope, query } = this.plan;
    const writer = this.writer;
    const limit = writer.pageLimit?.(at.collectedCount, at.rows) ?? at.rows;
    const key = keys.part(row.id, at.page);
    this.encoder ??= writer.rowEncoder(scope.fields, at.collectedCount);
    const encoder = this.encoder;
    const line = lineEncoderFor(writer, scope.fields, query.columns, query.idColumnAt);
    const { storage } = this.deps;
    const direct = this.objectsOnly ? null : this.plan.direct;
    const open = async () =>
      direct && storage.direct
        ? storage.direct.createPage(key, {
            upload: direct.upload,
            reserve: direct.reserve,
            head: at.collectedCount === 0 ? direct.head : null,
          })
        : filePage(await storage.create(key), key);
    const write = new PartWrite(
      open,
      // The COPY's parts are read one after another (CopyRows.part throws while one is open), and a part encodes
      // nothing until it is read: restarted here, the encoder is the previous page's no longer.
      () => {
        const part = this.copy.part(limit, encoder, line);
        encoder.restart?.(at.collectedCount);
        return part;
      },
      writer.partStages?.(at.collectedCount) ?? [],
    );
    return { write, limit, key };
  }

  readAhead(at: PageStart) {
    this.ahead = this.begin(at);
  }

  takeAhead(): PageInHand {
    const page = this.ahead;
    if (!page) throw new Error("no page read ahead");
    this.ahead = null;
    return page;
  }

  async written(page: PageInHand) {
    const written = await page.write.written;
    this.read += written.part.page.rows;
    if (this.failure) throw this.failure;
    if (this.plan.direct && written.file.mode === "object" && written.part.page.written > 0) {
      this.objectsOnly = true;
    }
    return written;
  }

  /** Commits the page's part (synced), or throws it away when no row was written: it is unrecorded. */
  async commit({ file, part }: { file: PendingPage; part: CopyPart }): Promise<PageRead> {
    const { rows, written, failed, lastId } = part.page;
    let partKey: string | null = null;
    if (written === 0) await file.abort();
    else {
      partKey = (await file.commit()).entry;
      this.unrecorded.add(partKey);
    }
    return { rows, written, failed, lastId, partKey };
  }

  /**
   * The part is about to be recorded: from here it is kept. An error while recording (the connection lost
   * after the update committed) leaves unknown whether it was, so it stays (an orphan at worst: the assembly
   * and the sweep remove the parts' folder); only a record that matched no row removes it (`recordPage`).
   */
  recording(read: PageRead) {
    if (read.partKey) this.unrecorded.delete(read.partKey);
  }

  /**
   * After the run's last page. At the export's last row or the run's LIMIT the COPY has nothing more to send: it
   * is read to its end and the connection kept. Stopped for another export, it is broken off on close
   * (PostgreSQL logs "could not send data to client"): that costs a connection, not a page of rows.
   */
  async end({ copyAtEnd }: { copyAtEnd: boolean }) {
    await discardPart(this.ahead?.write ?? null);
    this.ahead = null;
    if (!this.copy.done && copyAtEnd) await finishCopy(this.copy);
  }

  /**
   * Throws away the page read ahead and an unrecorded part. A COPY that ran to its end commits and returns its
   * connection to the pool; one broken off leaves the connection unusable: it is closed.
   */
  async close(error?: Error) {
    if (error) this.failure ??= error;
    await discardPart(this.ahead?.write ?? null);
    this.client.off("error", this.onClientError);
    if (!this.failure && this.copy.done) {
      await this.client.query("commit").catch((err: Error) => {
        this.failure = err;
      });
    }
    this.client.release(this.failure ?? (this.copy.done ? undefined : new Error("COPY stopped early")));
    // (A page's direct parts are simply never listed.)
    for (const key of this.unrecorded) {
      if (!isDirectEntry(key)) await this.deps.storage.remove(key).catch(() => {});
    }
    this.unrecorded.clear();
  }
}

/** Where the run stands after a page's record: the row as recorded, or the export no longer ours. */
type Recorded = { row: ExportRow; goOn: boolean; more: boolean } | "lost";

/** A written page handed to be committed and recorded. */
interface PageDone {
  written: { file: PendingPage; part: CopyPart };
  /** Records remain after it and the run may read them: the next page is being read ahead. */
  mayGoOn: boolean;
  more: boolean;
  total: Promise<number> | null;
}

/**
 * Commits a written page's part (synced, renamed, its folder synced; or its last part uploaded) at once, then
 * records it once the page before it is recorded: records stay in page order, and a page is never recorded
 * before its part is durable, while the commits overlap the reading of the pages after it. A page after a record
 * that stopped the run (or lost the export) is not recorded: its part stays unrecorded and goes when the run closes.
 */
async function commitAndRecord(
  deps: StepDeps,
  run: CopyRun,
  { row, owner, signal }: PageStep,
  done: PageDone,
  before: Promise<Recorded>,
): Promise<Recorded> {
  const { mayGoOn, more } = done;
  const [read, waiting] = await Promise.all([
    run.commit(done.written),
    mayGoOn ? othersWaiting(deps.db, row.id) : false,
  ]);
  if (mayGoOn) deps.faults?.("readahead.started");
  const prev = await before;
  if (prev === "lost" || !prev.goOn) return prev;
  if (signal.aborted) return "lost";
  const keepClaim = mayGoOn && !waiting && !deps.endRun?.();
  const totalCount = done.total ? await done.total : null;
  run.recording(read);
  const recorded = await recordPage(deps, prev.row, owner, read, { totalCount, more, keepClaim });
  if (!recorded) return "lost";
  deps.faults?.("page.recorded");
  return { row: recorded, goOn: keepClaim, more };
}

/**
 * A run of pages through one COPY (`LIMIT runPages × pageSize`), cut into parts of a page each (`pageRows`).
 * Once a page is written the next one is read at once, while the page's part is committed and then recorded by
 * its own guarded update after the page before it (`commitAndRecord`): a page's commit stops the COPY only when
 * it outlasts the reading of the next two pages. The claim is kept while no other export waits
 * (`othersWaiting`), so a smaller export created meanwhile waits for a page or two. Null when a column has no
 * exact COPY form (the page is then read row by row).
 */
export async function copyRun(
  deps: StepDeps,
  step: PageStep,
  counting: Promise<number> | null,
): Promise<StepOutcome | null> {
  const { row, owner, signal, scope, keyset } = step;
  const limit = deps.config.pageSize * Math.max(1, deps.config.runPages);
  const query = copyPageQuery(row, scope, keyset, limit);
  if (!query) return null;
  const direct = directPlan(deps, row, owner);
  const run = await CopyRun.open(deps, { row, scope, query, limit, direct });
  let error: Error | undefined;
  /** Every page handed to be committed and recorded (each settles before the run closes). */
  const handed: Array<Promise<Recorded>> = [];
  /** The last of them. */
  let last: Promise<Recorded> = Promise.resolve({ row, goOn: true, more: true });
  try {
    // Where the pages read so far leave the export: what their records will make of it.
    let at = row;
    let page = run.begin({ ...at, rows: pageRows(deps.config, at) });
    let total = counting;
    // The count, once in, sizes the pages read ahead (their records lag behind the reading).
    counting?.then(
      (n) => {
        at = { ...at, totalCount: at.totalCount || n };
      },
      () => {},
    );
    for (;;) {
      const written = await run.written(page);
      const { rows, lastId, written: added, failed } = written.part.page;
      // Fewer rows than asked: the COPY ended, and if it ended before the run's LIMIT, the data did.
      const exhausted = rows < page.limit && !run.full;
      const more = !exhausted && (lastId ?? at.lastInstanceId) < (at.maxInstanceId ?? 0);
      const mayGoOn = more && !run.full && !run.done && !signal.aborted;
      at = {
        ...at,
        page: at.page + (added > 0 ? 1 : 0),
        collectedCount: at.collectedCount + added,
        failCount: at.failCount + failed,
        lastInstanceId: lastId ?? at.lastInstanceId,
      };
      if (mayGoOn) run.readAhead({ ...at, rows: pageRows(deps.config, at) });
      const before = last;
      last = commitAndRecord(deps, run, step, { written, mayGoOn, more, total }, before);
      last.catch(() => {}); // awaited in turn, or in the end
      handed.push(last);
      total = null;
      // The page before this one is recorded before the run reads past the page ahead.
      const prev = mayGoOn ? await before : await last;
      if (prev === "lost") return "lost";
      if (!prev.goOn || !mayGoOn) {
        const end = await last;
        if (end === "lost") return "lost";
        await run.end({ copyAtEnd: !end.more || run.full });
        return "page";
      }
      page = run.takeAhead();
    }
  } catch (err) {
    error = err as Error;
    throw err;
  } finally {
    // No commit or record may still run once the step is over (the parts they hold are the run's to remove).
    await Promise.allSettled(handed);
    await run.close(error);
  }
}
