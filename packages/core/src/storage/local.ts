import { randomBytes } from "node:crypto";
import {
  constants,
  copyFile,
  type FileHandle,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
} from "node:fs/promises";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { finished } from "node:stream/promises";
import type { FaultPoint, Faults } from "../engine/faults";
import { safeKey } from "./keys";
import type { PendingFile, Segment, Storage } from "./types";

/** Flushes a file's data, or a folder's entries, to the disk (fsync). */
async function syncToDisk(target: string): Promise<void> {
  const handle = await open(target, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a small file and flushes it to the disk. */
async function writeSynced(target: string, data: Buffer | string): Promise<void> {
  const handle = await open(target, "wx");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a folder's entries; folders that cannot be opened for syncing (not on Linux) are left to the system. */
async function syncFolder(target: string): Promise<void> {
  await syncToDisk(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EISDIR" && err.code !== "EPERM" && err.code !== "EINVAL") throw err;
  });
}

/** Replaces whatever is at `target` (a file or a composed folder) with `source`. */
async function renameOver(source: string, target: string): Promise<void> {
  try {
    await rename(source, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOTDIR") throw err;
    await rm(target, { recursive: true, force: true });
    await rename(source, target);
  }
}

/** While a file is written, its data is flushed to the disk in the background every this many bytes. */
const SYNC_EVERY = 8 << 20;

/**
 * A file being written through its handle. Every `SYNC_EVERY` bytes the data written so far is flushed to the
 * disk in the background (fdatasync on the threadpool), so the flush that commits it has only the tail left:
 * the disk works while the rest of the page is still being read and encoded, instead of after it.
 */
class SyncingFileWriter extends Writable {
  /** Bytes written: the file's size once it is finished (it was created empty). */
  bytes = 0;
  private unsynced = 0;
  private syncing: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly handle: FileHandle,
    private onFirstWrite: (() => void) | null = null,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void) {
    this.writeAll(chunk).then(() => {
      const first = this.onFirstWrite;
      this.onFirstWrite = null;
      first?.();
      this.bytes += chunk.length;
      this.unsynced += chunk.length;
      if (this.unsynced >= SYNC_EVERY) {
        this.unsynced = 0;
        // One flush at a time; its failure is reported by the next one or by the commit's.
        this.syncing = this.syncing.then(() => this.handle.datasync());
        this.syncing.catch(() => {});
      }
      done();
    }, done);
  }

  private async writeAll(chunk: Buffer) {
    for (let at = 0; at < chunk.length; ) {
      const { bytesWritten } = await this.handle.write(chunk, at, chunk.length - at);
      at += bytesWritten;
    }
  }

  /** After the stream finished: the background flushes, then the whole file, then the handle closed. */
  async syncAndClose() {
    await this.syncing;
    await this.handle.sync();
    await this.closeQuietly();
  }

  async closeQuietly() {
    this.closing ??= this.syncing.catch(() => {}).then(() => this.handle.close().catch(() => {}));
    await this.closing;
  }
}

/** A composed file is a folder: its segments (numbered) and this manifest. */
const MANIFEST = "manifest.json";

interface Manifest {
  size: number;
  segments: Array<{ file: string; start: number; end: number }>;
}

async function readManifest(folder: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(folder, MANIFEST), "utf8")) as Manifest;
}

const READ_CHUNK = 1 << 20;

/**
 * Files under a folder. A committed file is on the disk, not only in the page cache: its data is flushed
 * before the rename and the rename (the folder's entry) after it. The engine records a part in the database
 * only after its commit, and marks an export completed only after its result's commit, so a power cut or a
 * kernel crash right after either can never leave a row that the database counts but the disk lost (a killed
 * process alone could not lose it: the page cache survives the process).
 */
export class LocalStorage implements Storage {
  /**
   * `hardLinks: false` composes by copying (synced) instead of linking. It is also what happens, from then on,
   * when the folder's file system refuses a hard link (some network or FAT-like file systems do).
   */
  get location(): string {
    return this.root;
  }

  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  constructor(
    readonly root: string,
    private options: { hardLinks?: boolean; faults?: Faults } = {},
  ) {}

  /** A fault point (engine/faults.ts) of a part's or a result's commit: tests kill the process there. */
  private fault(key: string, stage: "writing" | "synced" | "renamed") {
    const faults = this.options.faults;
    if (!faults) return;
    if (key.startsWith("parts/")) faults(`part.${stage}` as FaultPoint);
    else if (key.startsWith("results/") && stage !== "writing") faults(`result.${stage}` as FaultPoint);
  }

  /** `at` gets the bytes of `source`: a hard link where the file system allows one, else a synced copy. */
  private async linkOrCopy(source: string, at: string): Promise<void> {
    if (this.options.hardLinks !== false) {
      try {
        await link(source, at);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EXDEV") throw err;
        this.options = { ...this.options, hardLinks: false };
      }
    }
    await copyFile(source, at, constants.COPYFILE_EXCL);
    await syncToDisk(at);
  }

  private file(key: string) {
    return path.join(this.root, safeKey(key));
  }

  /** The folder the last file was created in: the pages of a run go to one, made once. */
  private lastFolder: string | null = null;

  /** Opens a new file, its folder made first unless the last file went there (and it was not removed since). */
  private async openNew(file: string): Promise<FileHandle> {
    const folder = path.dirname(file);
    if (folder === this.lastFolder) {
      try {
        return await open(file, "wx");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
    await mkdir(folder, { recursive: true });
    this.lastFolder = folder;
    return open(file, "wx");
  }

  async create(key: string): Promise<PendingFile> {
    const target = this.file(key);
    const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    const stream = new SyncingFileWriter(await this.openNew(temp), () => this.fault(key, "writing"));
    const fault = (stage: "synced" | "renamed") => this.fault(key, stage);
    // An error before commit/abort (disk full) is reported by commit(); keep it from being unhandled.
    let failure: Error | null = null;
    stream.on("error", (err) => {
      failure = err;
    });
    return {
      stream,
      async commit() {
        if (!stream.writableEnded) stream.end();
        await finished(stream).catch((err) => {
          failure ??= err;
        });
        try {
          if (failure) throw failure;
          await stream.syncAndClose();
        } catch (err) {
          await stream.closeQuietly();
          await unlink(temp).catch(() => {});
          throw err;
        }
        fault("synced");
        await renameOver(temp, target);
        fault("renamed");
        await syncFolder(path.dirname(target));
        return stream.bytes;
      },
      async abort() {
        stream.destroy();
        await stream.closeQuietly();
        await unlink(temp).catch(() => {});
      },
    };
  }

  /**
   * A composed file is a folder holding hard links to the stored files it names (so removing those keys keeps
   * its bytes: no copy; copies where the file system has no hard links) and files for the given bytes, each synced, plus a manifest of the order and ranges.
   * It is built under a temporary name, synced, and renamed into place: visible whole or not at all.
   */
  async compose(key: string, segments: readonly Segment[]): Promise<number> {
    const target = this.file(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    await mkdir(temp);
    try {
      // Each segment's file is made at once (a result of many parts: as many links or synced writes).
      const made = await Promise.allSettled(
        segments.map(async (segment, i) => {
          const file = String(i).padStart(6, "0");
          const at = path.join(temp, file);
          if ("bytes" in segment) {
            await writeSynced(at, segment.bytes);
            return { file, start: 0, end: segment.bytes.length };
          }
          const source = this.file(segment.key);
          const length = (await stat(source)).size;
          const start = segment.start ?? 0;
          const end = segment.end ?? length;
          if (start < 0 || end > length || end < start) {
            throw new Error(`segment ${start}–${end} is outside ${segment.key} (${length} bytes)`);
          }
          await this.linkOrCopy(source, at);
          return { file, start, end };
        }),
      );
      const manifest: Manifest = { size: 0, segments: [] };
      for (const result of made) {
        if (result.status === "rejected") throw result.reason;
        manifest.segments.push(result.value);
        manifest.size += result.value.end - result.value.start;
      }
      await writeSynced(path.join(temp, MANIFEST), JSON.stringify(manifest));
      await syncToDisk(temp);
      this.fault(key, "synced");
      await renameOver(temp, target);
      this.fault(key, "renamed");
      await syncFolder(path.dirname(target));
      return manifest.size;
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
  }

  read(key: string, range?: { start: number; end: number }) {
    // Large reads (downloads): 1 MiB chunks.
    if (range && range.end <= range.start) return Readable.from([]);
    return Readable.from(this.chunks(this.file(key), range), {
      objectMode: false,
      highWaterMark: READ_CHUNK,
    });
  }

  /**
   * A file's bytes. A composed file's segments are all opened before the first byte is read, so that a file
   * removed meanwhile (its retention ended) is still read whole, as an open plain file is.
   */
  private async *chunks(file: string, range?: { start: number; end: number }): AsyncGenerator<Buffer> {
    const info = await stat(file);
    const pieces: Array<{ path: string; start: number; end: number }> = [];
    if (info.isDirectory()) {
      for (const s of (await readManifest(file)).segments) {
        pieces.push({ path: path.join(file, s.file), start: s.start, end: s.end });
      }
    } else {
      pieces.push({ path: file, start: 0, end: info.size });
    }
    const from = range?.start ?? 0;
    const to = range?.end ?? Number.POSITIVE_INFINITY;
    const handles: FileHandle[] = [];
    try {
      const reads: Array<{ handle: FileHandle; start: number; end: number }> = [];
      let at = 0;
      for (const piece of pieces) {
        const length = piece.end - piece.start;
        const start = Math.max(from, at);
        const end = Math.min(to, at + length);
        if (start < end) {
          const handle = await open(piece.path, "r");
          handles.push(handle);
          reads.push({ handle, start: piece.start + (start - at), end: piece.start + (end - at) });
        }
        at += length;
      }
      for (const r of reads) {
        const stream = r.handle.createReadStream({
          start: r.start,
          end: r.end - 1,
          autoClose: false,
          highWaterMark: READ_CHUNK,
        });
        for await (const chunk of stream) yield chunk as Buffer;
      }
    } finally {
      await Promise.all(handles.map((h) => h.close().catch(() => {})));
    }
  }

  async size(key: string) {
    try {
      const file = this.file(key);
      const info = await stat(file);
      return info.isDirectory() ? (await readManifest(file)).size : info.size;
    } catch {
      return null;
    }
  }

  async remove(key: string) {
    await rm(this.file(key), { force: true, recursive: true });
  }

  async removePrefix(prefix: string) {
    // A file created in the folder while it is being removed (a worker finishing a part) makes rmdir fail
    // with ENOTEMPTY: Node retries that (maxRetries) until the folder is really gone.
    await rm(this.file(prefix.replace(/\/+$/, "")), {
      recursive: true,
      force: true,
      maxRetries: 10,
      retryDelay: 10,
    });
  }

  async list(prefix: string) {
    const dir = this.file(prefix.replace(/\/+$/, ""));
    try {
      const names = await readdir(dir);
      return names.filter((n) => !n.endsWith(".tmp")).map((n) => `${prefix.replace(/\/+$/, "")}/${n}`);
    } catch {
      return [];
    }
  }
}
