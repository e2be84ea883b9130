/** The store could not be reached or answered with a server error: a request may be repeated later. */
export class StorageUnavailableError extends Error {
  constructor(
    readonly where: string,
    cause: unknown,
  ) {
    super(`The file storage ${where} is unavailable: ${describe(cause)}`, { cause });
    this.name = "StorageUnavailableError";
  }
}

function describe(err: unknown): string {
  const e = err as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e?.$metadata?.httpStatusCode;
  return [e?.code ?? e?.name, status ? `HTTP ${status}` : null, e?.message].filter(Boolean).join(": ");
}

const statusOf = (err: unknown) =>
  (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

export const isNotFound = (err: unknown) =>
  statusOf(err) === 404 || ["NotFound", "NoSuchKey"].includes((err as { name?: string })?.name ?? "");

/** An operation the server does not implement (s3rver: UploadPartCopy, ListMultipartUploads, AbortMultipartUpload). */
export const isNotImplemented = (err: unknown) => statusOf(err) === 501 || statusOf(err) === 405;

/** Network errors and 5xx: the store is away (as opposed to a refusal such as 403, a configuration error). */
export function isUnavailable(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return status >= 500 && status !== 501;
  return true;
}
