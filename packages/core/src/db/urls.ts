import type { Env } from "../env";

export const EMBEDDED_USER = "postgres";
export const EMBEDDED_PASSWORD = "postgres";
export const EMBEDDED_DATABASE = "exports";

export function embeddedUrl(port: number, database = EMBEDDED_DATABASE): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** The URL a process that does not manage the database (the web app) connects to. */
export function databaseUrlFromEnv(env: Env): string {
  return env.DATABASE_URL ?? embeddedUrl(env.EMBEDDED_PG_PORT);
}

/** The same server's URL for another database (`postgres://…/name`). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The local server this machine usually has (trust auth); tests and the bench try it when no URL is given. */
export const LOCAL_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
