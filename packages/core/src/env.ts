// The configuration (README's "Configuration" documents each variable), read from process.env once and
// validated: a bad value stops the process with a message naming the variable. process-env.ts resolves the
// folders of processes that own local state; it reads process.env only to tell an unset DATA_DIR from the
// default and for pnpm's INIT_CWD.
import { z } from "zod";
import { FAULT_POINTS, isFaultSpec } from "./engine/faults";
import { parseStorageUrl } from "./storage/location";

/**
 * Issue 16: retries after 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 3 h while within 24 h of the first
 * attempt (seven more: the last starts ~22.7 h after the first); then the delivery is failed.
 */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = ["5,30,120,600,1800,3600", ...Array(7).fill("10800")].join(",");

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

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

/** `a@b.c` or `Name <a@b.c>`. */
function isMailFrom(value: string): boolean {
  const named = /^[^<>]*<([^<>]+)>$/.exec(value);
  return EMAIL.test(named ? (named[1] ?? "") : value);
}

export const envSchema = z.object({
  /** Absent: an embedded PostgreSQL in DATA_DIR/postgres. */
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "must start with postgres:// or postgresql://")
    .optional(),
  PORT: port.default(3000),
  DATA_DIR: z.string().min(1).default(".data"),
  /** Default DATA_DIR/storage. */
  STORAGE_DIR: z.string().min(1).optional(),
  STORAGE_URL: z
    .string()
    .trim()
    .superRefine((v, ctx) => {
      const location = parseStorageUrl(v);
      if (typeof location === "string") ctx.addIssue({ code: "custom", message: location });
    })
    .optional(),
  // Read by the AWS SDK itself; validated here so that a bad value is named at start-up.
  AWS_REGION: z.string().trim().min(1).optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_ENDPOINT_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  AWS_ENDPOINT_URL_S3: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  S3_FORCE_PATH_STYLE: z.enum(["0", "1"]).default("0"),
  DOWNLOAD_REDIRECT: z.enum(["stream", "presigned"]).default("stream"),
  DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(604_800).default(900),
  EMBEDDED_PG_PORT: port.default(54329),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  BOOTSTRAP_DEMO_USER: z.enum(["0", "1"]).default("1"),
  BOOTSTRAP_DEMO_DATA: z.enum(["0", "1"]).default("1"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  // Unset: pages sized from each export (engine/page-size.ts).
  EXPORT_PAGE_SIZE: z.coerce.number().int().min(1).max(1_000_000).optional(),
  EXPORT_RUN_PAGES: z.coerce.number().int().min(1).max(1000).default(8),
  EXPORT_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  EXPORT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  EXPORT_RETENTION_DAYS: z.coerce.number().min(0.0001).max(3650).default(7),
  RETENTION_SWEEP_SECONDS: z.coerce.number().min(1).max(86_400).default(60),
  /** Tests only: `<point>@<n>` kills the worker at a step boundary, to prove a crash there loses nothing. */
  EXPORT_FAULT: z
    .string()
    .refine(isFaultSpec, `must be <point>@<n>, a point one of ${FAULT_POINTS.join(", ")}`)
    .optional(),
  /**
   * Tests only: the smallest part of an S3 direct upload but the last (5 MiB otherwise), so small pages go to
   * the result's upload directly on the test server.
   */
  S3_TEST_MIN_PART_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(5 * 1024 * 1024)
    .optional(),
  WORKER_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  /** How often each worker looks for due template slots (issue 17). */
  SCHEDULER_POLL_SECONDS: z.coerce.number().min(0.05).max(3600).default(5),
  FILTER_FILE_MAX_IDENTIFIERS: z.coerce.number().int().min(1).max(100_000_000).default(1_000_000),
  MAX_ACTIVE_EXPORTS_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(5),
  MAX_FILTER_FILES_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(20),
  SESSION_TTL_HOURS: z.coerce.number().min(0.001).max(8760).default(12),
  SESSION_MAX_AGE_HOURS: z.coerce.number().min(0.001).max(8760).default(168),
  LOGIN_MAX_FAILURES_PER_USER: z.coerce.number().int().min(1).max(10_000).default(5),
  LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(20),
  LOGIN_THROTTLE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** API keys one user may create per LOGIN_THROTTLE_WINDOW_SECONDS (issue 18). */
  API_KEY_CREATIONS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(10),
  LIST_CACHE_ENTRIES: z.coerce.number().int().min(0).max(100_000).default(500),
  /** 0: the client address is the socket's (X-Forwarded-For ignored); N: its N-th entry from the right. */
  NUM_PROXIES: z.coerce.number().int().min(0).max(10).default(0),
  /** 1: webhooks may call loopback and private addresses (tests, internal deployments). */
  WEBHOOK_ALLOW_PRIVATE: z.enum(["0", "1"]).default("0"),
  /** Seconds to wait before each retry of a failed delivery, comma-separated; after the last, it is failed. */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default(DEFAULT_WEBHOOK_RETRY_SCHEDULE)
    .transform((v) => v.split(",").map((s) => (s.trim() === "" ? Number.NaN : Number(s))))
    .pipe(
      z
        .array(
          z
            .number({ error: "must be a comma-separated list of seconds, e.g. 5,30,120" })
            .min(0)
            .max(7 * 86_400),
        )
        .min(1)
        .max(100),
    ),
  /** How long a delivery waits for an answer. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Issue 16's export emails: sent only when SMTP_URL is set (then MAIL_FROM and APP_URL are needed too). */
  SMTP_URL: z
    .url({
      protocol: /^smtps?$/,
      error: "must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@host:587",
    })
    .optional(),
  MAIL_FROM: z
    .string()
    .trim()
    .refine(isMailFrom, "must be an address, or a name and an address: Exports <exports@example.com>")
    .optional(),
  /** The dashboard's public address: an email links to `${APP_URL}/exports/<id>`. */
  APP_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. https://exports.example.com" })
    .transform((v) => v.replace(/\/+$/, ""))
    .optional(),
  /** Seconds before each retry of an email the SMTP server refused; after the last, it is given up. */
  MAIL_RETRY_SCHEDULE: z
    .string()
    .default("30,300,1800")
    .transform((v) => v.split(",").map((s) => (s.trim() === "" ? Number.NaN : Number(s))))
    .pipe(
      z
        .array(
          z.number({ error: "must be a comma-separated list of seconds, e.g. 30,300" }).min(0).max(86_400),
        )
        .min(1)
        .max(20),
    ),
  /** Exact, comma-separated; no wildcard (a listed origin is answered with itself). */
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

/** Email needs all three: the server, the sender, and the dashboard's address for the link. */
function checkMail(env: z.infer<typeof envSchema>, ctx: z.RefinementCtx) {
  if (!env.SMTP_URL) return;
  for (const name of ["MAIL_FROM", "APP_URL"] as const) {
    if (!env[name]) ctx.addIssue({ code: "custom", path: [name], message: "required with SMTP_URL" });
  }
}

export const checkedEnvSchema = envSchema.superRefine(checkStorage).superRefine(checkMail);

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
