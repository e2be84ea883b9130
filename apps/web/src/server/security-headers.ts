/**
 * Security headers (issue 6 §8): one list, used by next.config.ts for pages and by the API door for every
 * API answer.
 */

export interface HeaderEntry {
  key: string;
  value: string;
}

/** On every answer, page or API. */
export const COMMON_SECURITY_HEADERS: readonly HeaderEntry[] = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  // frame-ancestors 'none' for browsers that know CSP 2, X-Frame-Options for those that do not.
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
];

/**
 * Content-Security-Policy of the pages.
 *
 * script-src needs 'unsafe-inline': the App Router streams its React Server Component payload in inline
 * `<script>` tags, which differ per page and per request, so they can be neither hashed nor listed. The
 * alternative, per-request nonces, needs a proxy (middleware) and forces every page to render dynamically;
 * for a dashboard that renders nothing but React-escaped text (no user HTML, no third-party scripts) the
 * static policy is the better trade. It still forbids scripts from any other origin, eval (outside
 * `next dev`, where React's debugging needs it), plugins, <base> hijacking, form posts and fetches to other
 * origins, and any framing (clickjacking). No `upgrade-insecure-requests`: `pnpm start` serves plain http
 * (TLS, and HSTS with it, belong to the reverse proxy in front).
 */
export function pageCsp(dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** API answers (JSON, files) are never documents that run anything or may be framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The headers of every API answer (set over whatever the handler set). */
export const API_SECURITY_HEADERS: readonly HeaderEntry[] = [
  ...COMMON_SECURITY_HEADERS,
  { key: "Content-Security-Policy", value: API_CSP },
];
