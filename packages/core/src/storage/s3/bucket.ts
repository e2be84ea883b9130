import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { isNotFound, isNotImplemented, isUnavailable, StorageUnavailableError } from "./errors";

/** One bucket's objects, by their full keys: the S3 calls the storage is made of. */
export class Bucket {
  constructor(
    readonly client: S3Client,
    readonly name: string,
    /** How the storage is named in messages (`s3://bucket/prefix`). */
    readonly where: string,
  ) {}

  /** Runs a request; network errors and server errors become StorageUnavailableError. */
  async send<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      if (isUnavailable(err) && !isNotFound(err)) throw new StorageUnavailableError(this.where, err);
      throw err;
    }
  }

  /** Whether the bucket answers; a missing bucket or refused credentials get a message saying so. */
  async check(): Promise<void> {
    try {
      await this.send(() => this.client.send(new HeadBucketCommand({ Bucket: this.name })));
    } catch (err) {
      if (err instanceof StorageUnavailableError) throw err;
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) throw new Error(`The bucket "${this.name}" (${this.where}) does not exist.`);
      if (status === 403 || status === 401) {
        throw new Error(
          `The bucket "${this.name}" refuses these credentials (HTTP ${status}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`,
        );
      }
      throw err;
    }
  }

  /** The object's bytes, or those in [start, end). */
  read(Key: string, range?: { start: number; end: number }): Readable {
    if (range && range.end <= range.start) return Readable.from([]);
    const request = () =>
      this.send(() =>
        this.client.send(
          new GetObjectCommand({
            Bucket: this.name,
            Key,
            Range: range ? `bytes=${range.start}-${range.end - 1}` : undefined,
          }),
        ),
      );
    return Readable.from(
      (async function* () {
        const answer = await request();
        yield* answer.Body as Readable;
      })(),
      { objectMode: false },
    );
  }

  async size(Key: string): Promise<number | null> {
    try {
      const head = await this.send(() => this.client.send(new HeadObjectCommand({ Bucket: this.name, Key })));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  presign(
    Key: string,
    seconds: number,
    headers: { disposition: string; contentType: string },
  ): Promise<string> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.name,
        Key,
        ResponseContentDisposition: headers.disposition,
        ResponseContentType: headers.contentType,
      }),
      { expiresIn: seconds },
    );
  }

  async remove(Key: string): Promise<void> {
    await this.send(() => this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key })));
  }

  /** Every key under `prefix/`. */
  async *keysUnder(prefix: string): AsyncGenerator<string> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.send(() =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.name, Prefix: `${prefix}/`, ContinuationToken }),
        ),
      );
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** Deletes every key under `prefix/`, a thousand per request. */
  async removeUnder(prefix: string): Promise<void> {
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const Objects = batch.map((Key) => ({ Key }));
      batch = [];
      await this.send(() =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects, Quiet: true } })),
      );
    };
    for await (const key of this.keysUnder(prefix)) {
      batch.push(key);
      if (batch.length === 1000) await flush();
    }
    await flush();
  }

  /** The names one level below `prefix/` (objects and "folders"), like a folder listing. */
  async namesUnder(prefix: string): Promise<string[]> {
    const names = new Set<string>();
    let ContinuationToken: string | undefined;
    do {
      const page = await this.send(() =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.name,
            Prefix: `${prefix}/`,
            Delimiter: "/",
            ContinuationToken,
          }),
        ),
      );
      for (const p of page.CommonPrefixes ?? []) {
        if (p.Prefix) names.add(p.Prefix.slice(prefix.length + 1).replace(/\/$/, ""));
      }
      for (const o of page.Contents ?? []) if (o.Key) names.add(o.Key.slice(prefix.length + 1));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return [...names];
  }

  /** Aborts a multipart upload; a server that cannot (s3rver) leaves it to the bucket's own clean-up. */
  async abortUpload(Key: string, UploadId: string) {
    await this.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.name, Key, UploadId }))
      .catch(() => {});
  }

  /**
   * Aborts the multipart uploads under `prefix` begun before `before`, but those in `keep`; 0 where the server
   * cannot list them.
   */
  async abortUploadsBefore(prefix: string, before: Date, keep?: ReadonlySet<string>): Promise<number> {
    let aborted = 0;
    try {
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      do {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.name,
            Prefix: prefix || undefined,
            KeyMarker,
            UploadIdMarker,
          }),
        );
        for (const u of page.Uploads ?? []) {
          if (u.Key && u.UploadId && u.Initiated && u.Initiated < before && !keep?.has(u.UploadId)) {
            await this.abortUpload(u.Key, u.UploadId);
            aborted++;
          }
        }
        KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (KeyMarker);
    } catch (err) {
      if (isNotImplemented(err)) return aborted;
      throw err;
    }
    return aborted;
  }
}
