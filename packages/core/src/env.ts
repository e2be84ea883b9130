import { z } from "zod";
import { FAULT_POINTS, isFaultSpec } from "./engine/faults";
import { parseStorageUrl } from "./storage/location";

/**
 * The one place that reads process.env. Every value is validated at start-up; a bad value stops the
 * process with a message naming the variable.
 */
const port = z.coerce.number().int().min(1).max(65535);

/** `scheme://host[:port]` exactly as a browser's Origin header spells it (lower case, no default port, no path). */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
}

export const envSchema = z.object({
  /** A PostgreSQL connection string. Absent: an embedded PostgreSQL in DATA_DIR/postgres is used. */
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "must start with postgres:// or postgresql://")
    .optional(),
  /** Port of the web app. */
  PORT: port.default(3000),
  /** Folder for local state: the embedded database and, by default, stored files. */
  DATA_DIR: z.string().min(1).default(".data"),
  /** Folder where export parts and result files are stored (default DATA_DIR/storage). */
  STORAGE_DIR: z.string().min(1).optional(),
  /**
   * Where parts, results and uploads live: `file:///abs/path` or `s3://bucket/optional/prefix` (default: the
   * folder STORAGE_DIR, else DATA_DIR/storage). S3 settings are the AWS SDK's own variables, below.
   */
  STORAGE_URL: z
    .string()
    .trim()
    .superRefine((v, ctx) => {
      const location = parseStorageUrl(v);
      if (typeof location === "string") ctx.addIssue({ code: "custom", message: location });
    })
    .optional(),
  /** Read by the AWS SDK itself; validated here so that a bad value is named at start-up (with s3://). */
  AWS_REGION: z.string().trim().min(1).optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_ENDPOINT_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  AWS_ENDPOINT_URL_S3: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  /** `1`: path-style bucket addressing (http://host/bucket/key), which most S3-compatible servers need. */
  S3_FORCE_PATH_STYLE: z.enum(["0", "1"]).default("0"),
  /**
   * `presigned`: a download answers 302 to a presigned URL of the object (S3 only), after the same
   * authorisation; `stream` (default): the web process streams it.
   */
  DOWNLOAD_REDIRECT: z.enum(["stream", "presigned"]).default("stream"),
  /** How long a presigned download URL is valid. */
  DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(604_800).default(900),
  /** Port of the embedded PostgreSQL (only used without DATABASE_URL). */
  EMBEDDED_PG_PORT: port.default(54329),
  /** Size of each process's database connection pool. */
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** "0" stops the first start from creating a demo superuser and printing its token. */
  BOOTSTRAP_DEMO_USER: z.enum(["0", "1"]).default("1"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Records per page: each page is one part and one guarded update. */
  EXPORT_PAGE_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(250_000),
  /** Pages one claim may read through one COPY while no other export waits (1: a claim per page). */
  EXPORT_RUN_PAGES: z.coerce.number().int().min(1).max(1000).default(8),
  /** How long a worker's claim lasts without a heartbeat before another worker may take the export. */
  EXPORT_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  /** Attempts at one step (transient errors retry with doubling backoff) before the export fails. */
  EXPORT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** Days a result file is kept. */
  EXPORT_RETENTION_DAYS: z.coerce.number().min(0.0001).max(3650).default(7),
  /** How often a worker deletes expired result files and orphaned parts. */
  RETENTION_SWEEP_SECONDS: z.coerce.number().min(1).max(86_400).default(60),
  /**
   * Tests only: `<point>@<n>` kills the worker (SIGKILL) the n-th time it reaches a step boundary
   * (engine/faults.ts), to prove that a crash there loses nothing.
   */
  EXPORT_FAULT: z
    .string()
    .refine(isFaultSpec, `must be <point>@<n>, a point one of ${FAULT_POINTS.join(", ")}`)
    .optional(),
  /** How often an idle worker looks for work when no notification arrives. */
  WORKER_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  /** Identifiers (non-blank values, repeats included) one filter file may hold; beyond it the create is a 400. */
  FILTER_FILE_MAX_IDENTIFIERS: z.coerce.number().int().min(1).max(100_000_000).default(1_000_000),
  /** Unfinished exports one user may have at once; a create beyond that answers 429 with Retry-After. */
  MAX_ACTIVE_EXPORTS_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(5),
  /**
   * Filter files one user may have stored: those of exports whose retention has not ended (finished or not).
   * A create with a filter file beyond it answers 429 with Retry-After.
   */
  MAX_FILTER_FILES_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(20),
  /** Hours a dashboard session lasts without use; each use extends it (sliding expiry). */
  SESSION_TTL_HOURS: z.coerce.number().min(0.001).max(8760).default(12),
  /** Hours after sign-in when a session ends however active it is (absolute maximum). */
  SESSION_MAX_AGE_HOURS: z.coerce.number().min(0.001).max(8760).default(168),
  /** Failed sign-ins allowed per username within LOGIN_THROTTLE_WINDOW_SECONDS; then 429 until it ends. */
  LOGIN_MAX_FAILURES_PER_USER: z.coerce.number().int().min(1).max(10_000).default(5),
  /** Failed sign-ins allowed per client address within LOGIN_THROTTLE_WINDOW_SECONDS. */
  LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(20),
  /** The window failed sign-ins are counted in, from the first failure. */
  LOGIN_THROTTLE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /**
   * Answers of the REST exports list the web process keeps (LRU; dropped on every change to the exports
   * table, see apps/web/src/server/rest/list-cache.ts). 0 turns the cache off.
   */
  LIST_CACHE_ENTRIES: z.coerce.number().int().min(0).max(100_000).default(500),
  /**
   * Reverse proxies in front of the web app that append to X-Forwarded-For: the client address is the
   * NUM_PROXIES-th entry from the right. 0 (exposed directly): the socket's address, X-Forwarded-For ignored.
   */
  NUM_PROXIES: z.coerce.number().int().min(0).max(10).default(0),
  /**
   * Origins (`https://app.example.com`, comma-separated, exact) whose browser pages may call the REST API
   * (CORS). Default: none. No wildcard: a listed origin is answered with itself.
   */
  CORS_ORIGINS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    )
    .pipe(
      z.array(
        z
          .string()
          .refine(
            isOrigin,
            "must be an origin such as https://app.example.com (scheme, host, optional port; no path)",
          ),
      ),
    ),
});

/** Rules between variables: what an s3:// storage needs, and one way to name the storage. */
function checkStorage(env: z.infer<typeof envSchema>, ctx: z.RefinementCtx) {
  const location = env.STORAGE_URL ? parseStorageUrl(env.STORAGE_URL) : null;
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (env.STORAGE_URL && env.STORAGE_DIR) issue("STORAGE_DIR", "set STORAGE_URL or STORAGE_DIR, not both");
  if (!location || typeof location === "string" || location.kind !== "s3") {
    if (env.DOWNLOAD_REDIRECT === "presigned")
      issue("DOWNLOAD_REDIRECT", "presigned needs an s3:// STORAGE_URL");
    return;
  }
  if (!env.AWS_REGION) issue("AWS_REGION", "required with an s3:// STORAGE_URL (e.g. us-east-1)");
  if (!env.AWS_ACCESS_KEY_ID !== !env.AWS_SECRET_ACCESS_KEY) {
    const missing = env.AWS_ACCESS_KEY_ID ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID";
    issue(missing, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together");
  }
}

export const checkedEnvSchema = envSchema.superRefine(checkStorage);

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Empty strings count as "not set", the way shells usually mean them.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = checkedEnvSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new EnvError(`Invalid environment configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
