import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { type EmbeddedServer, ensureEmbeddedPostgres } from "../db/embedded";
import { migrateDatabase } from "../db/migrate";
import { canConnect } from "../db/reachable";
import { LOCAL_ADMIN_URL, withDatabase } from "../db/urls";
import { createTestBucket, startS3Server } from "./s3";

declare module "vitest" {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
    /** The test S3-API server (s3rver, a process of its own): each test file makes its own bucket. */
    s3Endpoint: string;
    /** A bucket of the run on it, for tests that take a key prefix of their own (engine suites on S3). */
    s3Bucket: string;
  }
}

/**
 * A real PostgreSQL (TEST_DATABASE_URL, DATABASE_URL, 127.0.0.1:5432, else embedded) with a template database
 * migrated once per run; each test file gets its own copy (createTestDatabase), so files run in parallel. A real
 * S3-API server (s3rver, a process of its own) runs for the run too: each test file makes its own bucket.
 */
export default async function setup(project: TestProject) {
  let embedded: EmbeddedServer | null = null;
  let adminUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || "";
  if (!adminUrl) {
    if (await canConnect(LOCAL_ADMIN_URL)) adminUrl = LOCAL_ADMIN_URL;
    else {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), "exports-test-pg-"));
      embedded = await ensureEmbeddedPostgres({
        dataDir,
        port: 54_000 + Math.floor(Math.random() * 900),
        database: "postgres",
      });
      adminUrl = embedded.url;
    }
  }
  const templateDb = `exports_tpl_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${templateDb}`);
  await migrateDatabase(withDatabase(adminUrl, templateDb));
  const s3 = await startS3Server();
  project.provide("s3Endpoint", s3.endpoint);
  project.provide("s3Bucket", await createTestBucket(s3.endpoint));
  project.provide("adminUrl", adminUrl);
  project.provide("templateDb", templateDb);
  return async () => {
    await admin.query(`drop database if exists ${templateDb} with (force)`);
    await admin.end();
    await embedded?.stop();
    await s3.stop();
  };
}
