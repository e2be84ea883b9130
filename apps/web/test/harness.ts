import type { Storage } from "@exports/core";
import {
  type Actor,
  createUser,
  type Db,
  EXPORT_STATUSES,
  type ExportStatus,
  env,
  exportsChanged,
  SCOPES,
  schema,
  unauthenticated,
} from "@exports/core";
import { createTestDatabase, type TestDatabase } from "@exports/core/testing";
import { afterAll, beforeAll, expect } from "vitest";
import { closeDb, getDb } from "~/server/db";
import { dispatchApi } from "~/server/rest/router/router";
import type { TRPCContext } from "~/server/trpc/init";

/**
 * Drives the real API door (`dispatchApi`: the route table, every endpoint, the 405/HEAD/OPTIONS rules and the
 * API's headers — what the web server runs for every /api request) with real `Request`s, against a database of this test
 * file's own (a copy of the run's migrated template on the real PostgreSQL).
 */

export const BASE_URL = "http://localhost:3000";

export interface TestUser {
  id: string;
  username: string;
  token: string;
  actor: Actor;
}

export interface CallOptions {
  /** `Authorization: Token <token>`; `null` sends no header. Overridden by an explicit header. */
  token?: string | null;
  /** A value sent as JSON (`Content-Type: application/json`). */
  body?: unknown;
  /** A body sent as is (set the content type yourself through `headers`). */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  /** The parsed JSON body. */
  body: unknown;
  text: string;
}

export interface Harness {
  testDb: TestDatabase;
  db: Db;
  root: TestUser;
  alice: TestUser;
  bob: TestUser;
  addUser(username: string, isSuperuser?: boolean): Promise<TestUser>;
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  /** As call, but the door's Response as it is (a download's body is not JSON). */
  send(method: string, path: string, options?: CallOptions): Promise<Response>;
  /** Inserts an export row directly (any status, any created_date), as the worker would leave it. */
  insertExport(owner: TestUser, values?: Partial<ExportInsert>): Promise<schema.ExportRow>;
  insertExports(owner: TestUser, values: Partial<ExportInsert>[]): Promise<schema.ExportRow[]>;
  findExport(id: string): Promise<schema.ExportRow | undefined>;
  countExports(owner?: TestUser): Promise<number>;
  close(): Promise<void>;
}

export type ExportInsert = typeof schema.exports.$inferInsert;

export async function startHarness(): Promise<Harness> {
  const testDb = await createTestDatabase();
  // The route modules reach the database through getDb(), which reads DATABASE_URL (once, through env())
  // and keeps its pool on globalThis: point it at this file's database before any request.
  await closeDb();
  process.env.DATABASE_URL = testDb.url;
  if (env().DATABASE_URL !== testDb.url) {
    throw new Error(
      "env() was read before the harness set DATABASE_URL; the routes would use another database",
    );
  }
  const { db } = testDb;

  async function addUser(username: string, isSuperuser = false): Promise<TestUser> {
    const u = await createUser(db, { username, isSuperuser });
    return {
      id: u.id,
      username: u.username,
      token: u.token,
      actor: { id: u.id, username: u.username, isSuperuser: u.is_superuser },
    };
  }

  const root = await addUser("root", true);
  const alice = await addUser("alice");
  const bob = await addUser("bob");

  async function send(method: string, path: string, options: CallOptions = {}): Promise<Response> {
    const url = new URL(path, BASE_URL);
    const headers = new Headers();
    if (options.token !== undefined && options.token !== null)
      headers.set("Authorization", `Token ${options.token}`);
    let body: BodyInit | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers.set("Content-Type", "application/json");
    }
    for (const [k, v] of Object.entries(options.headers ?? {})) headers.set(k, v);
    const init: RequestInit & { duplex?: "half" } = { method: method.toUpperCase(), headers, body };
    if (body instanceof ReadableStream) init.duplex = "half";
    const req = new Request(url, init);

    return dispatchApi(req);
  }

  async function call(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
    const res = await send(method, path, options);
    const text = await res.text();
    expect(res.headers.get("content-type"), `${method} ${path} → ${res.status} content type`).toMatch(
      /^application\/json\b/,
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path} → ${res.status}: body is not JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  async function insertExports(owner: TestUser, values: Partial<ExportInsert>[]) {
    if (values.length === 0) return [];
    const rows = await db
      .insert(schema.exports)
      .values(
        values.map((v) => ({
          requestPath: "/api/v1/products/",
          viewset: "ProductViewSet",
          actionName: "export_products",
          ...v,
          requestedBy: owner.id,
        })),
      )
      .returning();
    // Written through the test's own pool, not the web's: tell the web's list cache at once, as the write
    // services do, instead of waiting for the trigger's notification.
    exportsChanged(getDb());
    return rows;
  }

  async function insertExport(owner: TestUser, values: Partial<ExportInsert> = {}) {
    const [row] = await insertExports(owner, [values]);
    if (!row) throw new Error("insert returned no row");
    return row;
  }

  async function findExport(id: string) {
    return db.query.exports.findFirst({ where: (t, { eq }) => eq(t.id, id) });
  }

  async function countExports(owner?: TestUser) {
    const rows = await db.query.exports.findMany({
      columns: { id: true },
      where: owner ? (t, { eq }) => eq(t.requestedBy, owner.id) : undefined,
    });
    return rows.length;
  }

  async function close() {
    await closeDb();
    await testDb.destroy();
  }

  return {
    testDb,
    db,
    root,
    alice,
    bob,
    addUser,
    call,
    send,
    insertExport,
    insertExports,
    findExport,
    countExports,
    close,
  };
}

/**
 * This test file's harness, started before its tests and closed after them. It may be taken at the top of a
 * file: its members are looked up when a hook or test uses them, once it has started.
 */
export function fileHarness(): Harness {
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await startHarness();
  });
  afterAll(async () => {
    await started?.close();
  });
  return new Proxy({} as Harness, {
    get(_, key) {
      if (!started) throw new Error("the harness starts in beforeAll: use it in hooks and tests");
      return started[key as keyof Harness];
    },
  });
}

/**
 * A request body streamed without a declared length: `head`, then `chunk` again and again until more than
 * `upTo` bytes of chunks were pulled. `pulled()` is how many the reader asked for, so a test sees whether a
 * reader stopped at its limit instead of buffering everything.
 */
export function endlessBody(head: Uint8Array, chunk: Uint8Array, upTo: number) {
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) controller.enqueue(head);
      if (sent > upTo) controller.close();
      else controller.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
  return { stream, pulled: () => sent };
}

/** Every status an export can have. */
export const ALL_STATUSES: readonly ExportStatus[] = EXPORT_STATUSES;

/** Parses an RFC 8288 `Link` header into rel → URL. */
export function parseLinks(header: string | null): Record<string, URL> {
  const out: Record<string, URL> = {};
  for (const part of (header ?? "").split(/,\s*(?=<)/)) {
    const m = /^<([^>]*)>\s*;\s*rel="([^"]+)"$/.exec(part.trim());
    if (m?.[1] !== undefined && m[2]) out[m[2]] = new URL(m[1], BASE_URL);
  }
  return out;
}

/**
 * A tRPC context for `createCaller`, as a token-authenticated request of `actor` would have it (`null`:
 * anonymous, every protected procedure answers UNAUTHENTICATED). Cookies written go nowhere unless
 * `overrides.setCookie` collects them.
 */
export function callerContext(
  db: Db,
  storage: Storage,
  actor: Actor | null,
  overrides: Partial<TRPCContext> = {},
): TRPCContext {
  return {
    db,
    storage,
    authenticate: async () => {
      if (!actor) throw unauthenticated();
      return { via: "token", actor, scopes: SCOPES };
    },
    csrfHeader: null,
    sessionSecret: null,
    client: { ip: null, userAgent: null, secure: false },
    setCookie: () => {},
    ...overrides,
  };
}

/** A completed export's id, download URL and file, as a download test compares them. */
export interface CompletedDownload {
  id: string;
  url: string;
  bytes: Buffer;
}

/**
 * One export of each format of all products, created over REST by alice, run by `run` (the test's engine
 * loop) and read back from `storage`: each must have completed.
 */
export async function exportEveryFormat(
  h: Harness,
  storage: Storage,
  run: () => Promise<void>,
): Promise<Record<"csv" | "json" | "xls", CompletedDownload>> {
  const ids: Partial<Record<"csv" | "json" | "xls", string>> = {};
  for (const format of ["csv", "json", "xls"] as const) {
    const res = await h.call("POST", "/api/v1/exports/", {
      token: h.alice.token,
      body: { request_path: "/api/v1/products/", format_type: format },
    });
    expect(res.status).toBe(201);
    ids[format] = (res.body as { id: string }).id;
  }
  await run();
  const done = {} as Record<"csv" | "json" | "xls", CompletedDownload>;
  for (const [format, id] of Object.entries(ids) as ["csv" | "json" | "xls", string][]) {
    const row = await h.findExport(id);
    expect(row?.status).toBe("completed");
    const bytes = Buffer.concat(await storage.read(row?.resultKey ?? "").toArray());
    done[format] = { id, url: `/api/v1/exports/${id}/download/`, bytes };
  }
  return done;
}
