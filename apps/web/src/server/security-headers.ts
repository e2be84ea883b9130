/** Security headers (issue 6 §8): one list for pages (next.config.ts) and every API answer. */

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
 * Content-Security-Policy of the pages. script-src needs 'unsafe-inline': the App Router inlines payload
 * scripts that differ per request (no hash, no list); nonces would need a middleware and make every page
 * dynamic, a bad trade for a dashboard of React-escaped text. No `upgrade-insecure-requests`: `pnpm start`
 * serves http (TLS belongs to the proxy in front).
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

/** API answers (JSON, files) never run anything and are never framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The headers of every API answer (set over whatever the handler set). */
export const API_SECURITY_HEADERS: readonly HeaderEntry[] = [
  ...COMMON_SECURITY_HEADERS,
  { key: "Content-Security-Policy", value: API_CSP },
];
