import { env } from "@exports/core";

/**
 * CORS for the REST API (issue 12 §5), for the origins in `CORS_ORIGINS` only; not for tRPC. Never with
 * credentials: a page sends the REST token in a header itself, so cookies (the session the download link
 * accepts) never make a cross-origin answer readable.
 */

/** The request headers a page may send (beyond the safelisted ones). */
const ALLOW_HEADERS = [
  "Authorization",
  "Content-Type",
  "Idempotency-Key",
  "If-None-Match",
  "If-Range",
  "Range",
  "Cache-Control",
  "Pragma",
].join(", ");

/** The answer headers a page may read (beyond the safelisted ones). */
const EXPOSE_HEADERS = [
  "X-Total-Count",
  "Link",
  "ETag",
  "Content-Disposition",
  "Content-Range",
  "Accept-Ranges",
  "Content-Length",
  "Retry-After",
  "WWW-Authenticate",
  "Idempotent-Replayed",
  "Allow",
  "X-Cache",
].join(", ");

/** How long a browser may reuse a preflight's answer (seconds; Chromium caps it at 2 hours). */
const MAX_AGE = "600";

let origins: { from: readonly string[]; set: ReadonlySet<string> } | undefined;

/** The listed origins, as a set built once per list. */
function allowedOrigins(): ReadonlySet<string> {
  const list = env().CORS_ORIGINS;
  if (origins?.from !== list) origins = { from: list, set: new Set(list) };
  return origins.set;
}

/** Whether any origin is listed (else no request pays for CORS). */
export const corsEnabled = () => allowedOrigins().size > 0;

/**
 * With origins configured every answer says `Vary: Origin`; a listed Origin is allowed, and its preflight
 * gets the path's methods (`allow`; null: an unknown path) and the headers it may send.
 */
export function corsHeaders(req: Request, allow: string | null): [string, string][] {
  const allowed = allowedOrigins();
  if (allowed.size === 0) return [];
  const headers: [string, string][] = [["Vary", "Origin"]];
  const origin = req.headers.get("origin");
  if (origin === null || !allowed.has(origin)) return headers;
  headers.push(["Access-Control-Allow-Origin", origin]);
  if (req.method === "OPTIONS" && req.headers.has("access-control-request-method") && allow) {
    headers.push(
      ["Access-Control-Allow-Methods", allow],
      ["Access-Control-Allow-Headers", ALLOW_HEADERS],
      ["Access-Control-Max-Age", MAX_AGE],
    );
  } else {
    headers.push(["Access-Control-Expose-Headers", EXPOSE_HEADERS]);
  }
  return headers;
}
