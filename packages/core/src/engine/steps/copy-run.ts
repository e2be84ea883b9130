import { Transform } from "node:stream";
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

/** A page being read from the COPY into its part; `first`: XLSX's first page, a part object in direct mode. */
interface PageInHand {
  write: PartWrite;
  limit: number;
  key: string;
  first: boolean;
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
 * the page read ahead while the last one is synced and recorded, and a part synced but not yet recorded.
 * `close()` puts it all away, whatever happened.
 */
class CopyRun {
  private readonly copy: CopyRows;
  private readonly writer: FormatWriter;
  private read = 0;
  private failure: Error | undefined;
  private ahead: PageInHand | null = null;
  private unrecorded: string | null = null;
  /** A page of the run went to a part object: the pages after it do too (direct.ts). */
  private objectsOnly = false;
  /** The run's row encoder, made for its first page and restarted for each next one (formats/types.ts). */
  private encoder: RowEncoder | null = null;
  /** XLSX's first page's bytes (its part object), and whether the pages after it go direct (`DirectPlan`). */
  private firstBytes = 0;
  private afterFirst: boolean | null = null;

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
    const line =
      lineEncoderFor(writer, scope.fields, query.columns, query.idColumnAt) ??
      encoder.line?.(query.columns, query.idColumnAt) ??
      null;
    const { storage } = this.deps;
    const planned = this.objectsOnly ? null : this.plan.direct;
    const direct = planned && at.collectedCount < planned.until ? planned : null;
    const first = !!direct?.afterFirst && at.collectedCount === 0;
    // Decided when the page is opened: the first page (read before it) is written by then.
    const goesDirect = () => {
      if (!direct || first) return false;
      if (!direct.afterFirst) return true;
      this.afterFirst ??= direct.afterFirst(this.firstBytes);
      return this.afterFirst;
    };
    const open = async () =>
      direct && storage.direct && goesDirect()
        ? storage.direct.createPage(key, {
            upload: direct.upload,
            reserve: direct.reserve,
            // A later page follows a page written directly (direct.ts), which held its separator back.
            head: at.collectedCount === 0 ? direct.head : null,
            carried: at.collectedCount === 0 ? Buffer.alloc(0) : direct.separator,
            hold: direct.hold,
          })
        : filePage(await storage.create(key), key);
    const stages = writer.partStages?.(at.collectedCount) ?? [];
    if (first) {
      this.firstBytes = 0;
      const counted = (chunk: Buffer) => {
        this.firstBytes += chunk.length;
        return chunk;
      };
      stages.push(new Transform({ transform: (chunk: Buffer, _enc, done) => done(null, counted(chunk)) }));
    }
    const write = new PartWrite(
      open,
      // The COPY's parts are read one after another (CopyRows.part throws while one is open), and a part encodes
      // nothing until it is read: restarted here, the encoder is the previous page's no longer.
      () => {
        const part = this.copy.part(limit, encoder, line);
        encoder.restart?.(at.collectedCount);
        return part;
      },
      stages,
    );
    return { write, limit, key, first };
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
    if (this.plan.direct && !page.first && written.file.mode === "object" && written.part.page.written > 0) {
      this.objectsOnly = true;
    }
    return written;
  }

  /** Commits the page's part (synced), or throws it away when no row was written: it is unrecorded. */
  async commit({ file, part }: { file: PendingPage; part: CopyPart }): Promise<PageRead> {
    const { rows, written, failed, lastId } = part.page;
    this.unrecorded = null;
    if (written === 0) await file.abort();
    else this.unrecorded = (await file.commit()).entry;
    return { rows, written, failed, lastId, partKey: this.unrecorded };
  }

  /**
   * The part is about to be recorded: from here it is kept. An error while recording (the connection lost
   * after the update committed) leaves unknown whether it was, so it stays (an orphan at worst: the assembly
   * and the sweep remove the parts' folder); only a record that matched no row removes it (`recordPage`).
   */
  recording() {
    this.unrecorded = null;
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
    if (this.unrecorded && !isDirectEntry(this.unrecorded)) {
      await this.deps.storage.remove(this.unrecorded).catch(() => {});
    }
  }
}

/**
 * A run of pages through one COPY (`LIMIT runPages × pageSize`), cut into parts of a page each (`pageRows`).
 * Each part is recorded by its own guarded update once synced, while PostgreSQL goes on sending and the next
 * part is being encoded; the claim is kept while no other export waits (`othersWaiting`), so a smaller export
 * created meanwhile waits for one page. Null when a column has no exact COPY form (the page is then read row by row).
 */
export async function copyRun(
  deps: StepDeps,
  { row, owner, signal, scope, keyset }: PageStep,
  counting: Promise<number> | null,
): Promise<StepOutcome | null> {
  const limit = deps.config.pageSize * Math.max(1, deps.config.runPages);
  const query = copyPageQuery(row, scope, keyset, limit);
  if (!query) return null;
  const direct = await directPlan(deps, row, owner);
  const run = await CopyRun.open(deps, { row, scope, query, limit, direct });
  let error: Error | undefined;
  try {
    let current = row;
    let page = run.begin({ ...current, rows: pageRows(deps.config, current) });
    let total = counting;
    for (;;) {
      const written = await run.written(page);
      const { rows, lastId } = written.part.page;
      // Fewer rows than asked: the COPY ended, and if it ended before the run's LIMIT, the data did.
      const exhausted = rows < page.limit && !run.full;
      const more = !exhausted && (lastId ?? current.lastInstanceId) < (current.maxInstanceId ?? 0);
      const mayGoOn = more && !run.full && !run.done && !signal.aborted;
      if (mayGoOn) {
        const { written: added, failed } = written.part.page;
        const next = {
          ...current,
          collectedCount: current.collectedCount + added,
          failCount: current.failCount + failed,
          lastInstanceId: lastId ?? current.lastInstanceId,
        };
        run.readAhead({
          ...next,
          page: current.page + (added > 0 ? 1 : 0),
          rows: pageRows(deps.config, next),
        });
      }
      const [read, waiting] = await Promise.all([
        run.commit(written),
        mayGoOn ? othersWaiting(deps.db, row.id) : false,
      ]);
      if (mayGoOn) deps.faults?.("readahead.started");
      if (signal.aborted) return "lost";
      const keepClaim = mayGoOn && !waiting && !deps.endRun?.();
      const totalCount = total ? await total : null;
      total = null;
      run.recording();
      const recorded = await recordPage(deps, current, owner, read, { totalCount, more, keepClaim });
      if (!recorded) return "lost";
      deps.faults?.("page.recorded");
      if (!keepClaim) {
        await run.end({ copyAtEnd: !more || run.full });
        return "page";
      }
      current = recorded;
      page = run.takeAhead();
    }
  } catch (err) {
    error = err as Error;
    throw err;
  } finally {
    await run.close(error);
  }
}
