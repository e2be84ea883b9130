import type { NextConfig } from "next";
import { COMMON_SECURITY_HEADERS, pageCsp } from "./src/server/security-headers";

const dev = process.env.NODE_ENV === "development";

/**
 * Next.js serves the pages only: every /api path is answered by the API door of the custom server
 * (server.ts → src/server/rest), which sets its own headers.
 */
const config: NextConfig = {
  // The contract's paths end in "/" (SPEC §2.6): never redirect `/x/` to `/x`.
  skipTrailingSlashRedirect: true,
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [...COMMON_SECURITY_HEADERS, { key: "Content-Security-Policy", value: pageCsp(dev) }],
      },
    ];
  },
};

export default config;
