import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { PendingFile, Storage } from "./types";

/** A key may name a file below the root and nothing else. */
function safeKey(key: string): string {
  const normal = path.posix.normalize(key);
  if (normal.startsWith("/") || normal.startsWith("..") || normal.includes("\0") || normal !== key) {
    throw new Error(`invalid storage key: ${key}`);
  }
  return normal;
}

/** Flushes a file's data, or a folder's entries, to the disk (fsync). */
async function syncToDisk(target: string): Promise<void> {
  const handle = await open(target, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Files under a folder. A committed file is on the disk, not only in the page cache: its data is flushed
 * before the rename and the rename (the folder's entry) after it. The engine records a part in the database
 * only after its commit, and marks an export completed only after its result's commit, so a power cut or a
 * kernel crash right after either can never leave a row that the database counts but the disk lost (a killed
 * process alone could not lose it: the page cache survives the process).
 */
export class LocalStorage implements Storage {
  constructor(readonly root: string) {}

  private file(key: string) {
    return path.join(this.root, safeKey(key));
  }

  async create(key: string): Promise<PendingFile> {
    const target = this.file(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    const stream = createWriteStream(temp, { flags: "wx", highWaterMark: 1 << 20 });
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
        if (failure) {
          await unlink(temp).catch(() => {});
          throw failure;
        }
        try {
          await syncToDisk(temp);
        } catch (err) {
          await unlink(temp).catch(() => {});
          throw err;
        }
        await rename(temp, target);
        // Folders that cannot be opened for syncing (not on Linux, where this runs) are left to the system.
        await syncToDisk(path.dirname(target)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "EISDIR" && err.code !== "EPERM" && err.code !== "EINVAL") throw err;
        });
        return (await stat(target)).size;
      },
      async abort() {
        stream.destroy();
        await unlink(temp).catch(() => {});
      },
    };
  }

  read(key: string, range?: { start: number; end: number }) {
    // Large reads: assembling a file copies every part through here.
    if (range && range.end <= range.start) return Readable.from([]);
    return createReadStream(this.file(key), {
      highWaterMark: 1 << 20,
      ...(range ? { start: range.start, end: range.end - 1 } : {}),
    });
  }

  async size(key: string) {
    try {
      return (await stat(this.file(key))).size;
    } catch {
      return null;
    }
  }

  async remove(key: string) {
    await rm(this.file(key), { force: true });
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
