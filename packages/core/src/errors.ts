// Typed domain errors: core throws them, each door maps them once through ERROR_TABLE.
export type FieldErrors = Record<string, string[]>;

export const ERROR_TABLE = {
  INVALID: { http: 400, trpc: "BAD_REQUEST" },
  UNAUTHENTICATED: { http: 401, trpc: "UNAUTHORIZED" },
  FORBIDDEN: { http: 403, trpc: "FORBIDDEN" },
  NOT_FOUND: { http: 404, trpc: "NOT_FOUND" },
  METHOD_NOT_ALLOWED: { http: 405, trpc: "METHOD_NOT_SUPPORTED" },
  CONFLICT: { http: 409, trpc: "CONFLICT" },
  GONE: { http: 410, trpc: "NOT_FOUND" },
  PAYLOAD_TOO_LARGE: { http: 413, trpc: "PAYLOAD_TOO_LARGE" },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, trpc: "UNSUPPORTED_MEDIA_TYPE" },
  TOO_MANY_REQUESTS: { http: 429, trpc: "TOO_MANY_REQUESTS" },
  UNAVAILABLE: { http: 503, trpc: "INTERNAL_SERVER_ERROR" },
} as const;

export type ErrorCode = keyof typeof ERROR_TABLE;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    /** Field → messages, for validation errors (the REST body is then this object). */
    readonly fields?: FieldErrors,
    /** The `Retry-After` of a 429 or 503, in seconds. */
    readonly retryAfter?: number,
  ) {
    super(fields ? `${detail} ${JSON.stringify(fields)}` : detail);
    this.name = "DomainError";
  }

  /** The JSON body both doors send: `{detail}` or, for field errors, `{field: [messages]}`. */
  body(): Record<string, unknown> {
    return this.fields ? this.fields : { detail: this.detail };
  }
}

export const notFound = () => new DomainError("NOT_FOUND", "Not found.");
export const forbidden = () =>
  new DomainError("FORBIDDEN", "You do not have permission to perform this action.");
export const unauthenticated = (detail = "Authentication credentials were not provided.") =>
  new DomainError("UNAUTHENTICATED", detail);
export const conflict = (detail: string) => new DomainError("CONFLICT", detail);
export const invalid = (fields: FieldErrors) => new DomainError("INVALID", "Invalid input.", fields);
export const invalidDetail = (detail: string) => new DomainError("INVALID", detail);
export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  new DomainError("TOO_MANY_REQUESTS", detail, undefined, Math.max(1, Math.ceil(retryAfterSeconds)));

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** Collects field errors and throws them together, so a client sees every problem at once. */
export class FieldErrorCollector {
  readonly errors: FieldErrors = {};
  add(field: string, message: string) {
    // Own properties only: a field named like an Object.prototype member ("valueOf") is just a name.
    const list = Object.hasOwn(this.errors, field) ? (this.errors[field] as string[]) : [];
    list.push(message);
    Object.defineProperty(this.errors, field, {
      value: list,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  get empty() {
    return Object.keys(this.errors).length === 0;
  }
  throwIfAny() {
    if (!this.empty) throw invalid(this.errors);
  }
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "57P01", // admin_shutdown (server restarting, or pg_terminate_backend)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
]);
const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
];

/** True when an error (or its cause, as drizzle wraps driver errors) means the database is away. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string" && UNAVAILABLE_MESSAGES.some((re) => re.test(message))) return true;
  }
  return false;
}

/** True when an error (or its cause) means the file storage is away (storage/s3.ts). */
export function isStorageUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { name?: unknown }).name === "StorageUnavailableError") return true;
  }
  return false;
}

/** Seconds a client should wait after a 503 (the database away): every door's `Retry-After`. */
export const UNAVAILABLE_RETRY_AFTER = 5;

/** Any error → the domain error a door should show, or null for a genuine bug (a 500). */
export function asDomainError(err: unknown): DomainError | null {
  if (err instanceof DomainError) return err;
  if (isStorageUnavailable(err)) {
    return new DomainError(
      "UNAVAILABLE",
      "The file storage is unavailable. Try again in a moment.",
      undefined,
      UNAVAILABLE_RETRY_AFTER,
    );
  }
  if (isDatabaseUnavailable(err)) {
    return new DomainError(
      "UNAVAILABLE",
      "The database is unavailable. Try again in a moment.",
      undefined,
      UNAVAILABLE_RETRY_AFTER,
    );
  }
  return null;
}
