import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  type Access,
  createApiKey,
  LocalStorage,
  lacksScope,
  SCOPES,
  type Scope,
  SESSION_ONLY,
} from "@exports/core";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METHODS } from "~/server/rest/route";
import { API_ROUTES, openApiDocument } from "~/server/rest/routes";
import { appRouter, createCaller } from "~/server/trpc/root";
import { callerContext, type Harness, startHarness } from "./harness";

/**
 * Issue 18: scopes × every REST operation and every tRPC procedure, table-driven from the route table and the
 * router themselves, so a new operation is covered (and one that declares no access fails here).
 */
const STORAGE_DIR = mkdtempSync(path.join(os.tmpdir(), "exports-scopes-"));
process.env.STORAGE_DIR = STORAGE_DIR;
const storage = new LocalStorage(STORAGE_DIR);
const MISSING = "6f1c9d3e-2b7a-4c1e-9f00-000000000000";

let h: Harness;
/** The superuser's keys by scopes held (a superuser: no other check gets in the way of the scope's). */
const keys: Record<"read" | "write" | "both", { token: string; scopes: Scope[] }> = {
  read: { token: "", scopes: ["exports:read"] },
  write: { token: "", scopes: ["exports:write"] },
  both: { token: "", scopes: [...SCOPES] },
};

beforeAll(async () => {
  h = await startHarness();
  for (const key of Object.values(keys)) {
    key.token = (await createApiKey(h.db, h.root.actor, { name: "matrix", scopes: key.scopes })).token;
  }
});

afterAll(async () => {
  await h?.close();
});

/** The scope a key lacks for a need, or null when it may (a session-only need: always refused). */
function missingScope(scopes: readonly Scope[], need: Access): Scope | "session" | null {
  if (need === "session") return "session";
  const needed: readonly Scope[] = need === "all-scopes" ? SCOPES : [need];
  return needed.find((s) => !scopes.includes(s)) ?? null;
}

/** Operations that authenticate nobody, or hand authentication to another door: named here, on purpose. */
const UNSCOPED: Record<string, string> = {
  "GET /api/v1/openapi.json": "public",
  "GET /api/trpc/{procedure}": "procedures",
  "POST /api/trpc/{procedure}": "procedures",
};

const operations = API_ROUTES.flatMap((route) =>
  METHODS.flatMap((method) => {
    const operation = route.endpoint[method];
    return operation ? [{ route, method, operation, name: `${method} ${route.path}` }] : [];
  }),
);

describe("REST: every operation declares its access; a key lacking it is 403 naming the scope", () => {
  it("every operation declares a known access, and the document says it", () => {
    const known = [...SCOPES, "all-scopes", "session", "public", "procedures"];
    const paths = openApiDocument().paths;
    for (const { route, method, operation, name } of operations) {
      expect(known, name).toContain(operation.access);
      const unscoped = operation.access === "public" || operation.access === "procedures";
      expect(unscoped ? operation.access : undefined, name).toBe(UNSCOPED[name]);
      const described = paths[route.path]?.[method.toLowerCase()];
      if (!unscoped) {
        expect(described?.["x-required-access"], name).toBe(operation.access);
        expect((described?.responses as Record<string, unknown> | undefined)?.["403"], name).toBeDefined();
      }
    }
    expect(operations.length).toBeGreaterThan(15);
  });

  for (const { route, method, operation, name } of operations) {
    if (operation.access === "public" || operation.access === "procedures") continue;
    const need = operation.access;
    for (const [kind, key] of Object.entries(keys)) {
      const missing = missingScope(key.scopes, need);
      it(`${name} (${need}) with a ${kind} key: ${missing ? "403" : "let through"}`, async () => {
        const url = route.path.replace(/\{\w+\}/g, MISSING);
        const body = method === "POST" || method === "PATCH" || method === "PUT" ? {} : undefined;
        const res = await h.call(method, url, { token: key.token, body });
        if (missing) {
          expect(res.status).toBe(403);
          expect(res.body).toEqual({ detail: missing === "session" ? SESSION_ONLY : lacksScope(missing) });
        } else {
          expect(res.status).not.toBe(401);
          expect(JSON.stringify(res.body)).not.toMatch(/lacks the scope/);
        }
      });
    }
  }
});

type Procedure = { _def: { type: string; meta?: { access?: string } } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, Procedure>);

/** Calls a procedure by its dotted path with `input`; the error, or null. A subscription's stream is closed. */
async function callProcedure(caller: unknown, dotted: string, input: unknown): Promise<unknown> {
  let fn: unknown = caller;
  for (const part of dotted.split(".")) fn = (fn as Record<string, unknown>)[part];
  try {
    const result = await (fn as (input: unknown) => Promise<unknown>)(input);
    const iterator = result as AsyncIterator<unknown> | undefined;
    if (iterator && typeof iterator.return === "function") await iterator.return();
    return null;
  } catch (err) {
    return err;
  }
}

describe("tRPC: every procedure declares its access; a key lacking it is FORBIDDEN naming the scope", () => {
  it("every procedure declares a known access (public ones by name)", () => {
    const known = [...SCOPES, "all-scopes", "session", "public"];
    for (const [name, procedure] of procedures) {
      const access = procedure._def.meta?.access;
      expect(known, name).toContain(access);
      if (access === "public") expect(name, name).toMatch(/^(auth|passwordLink)\./);
    }
    expect(procedures.length).toBeGreaterThan(20);
  });

  for (const [name, procedure] of procedures) {
    const need = procedure._def.meta?.access;
    if (need === "public" || need === undefined) continue;
    for (const [kind, key] of Object.entries(keys)) {
      const missing = missingScope(key.scopes, need as Access);
      it(`${name} (${need}) with a ${kind} key: ${missing ? "FORBIDDEN" : "let through"}`, async () => {
        const context = callerContext(h.db, storage, h.root.actor, {
          authenticate: async () => ({ via: "token", actor: h.root.actor, scopes: key.scopes }),
        });
        // No input: a procedure let through fails its input check at most (nothing is changed).
        const err = await callProcedure(createCaller(context), name, undefined);
        if (missing) {
          expect(err).toBeInstanceOf(TRPCError);
          expect((err as TRPCError).code).toBe("FORBIDDEN");
          expect((err as TRPCError).message).toBe(missing === "session" ? SESSION_ONLY : lacksScope(missing));
        } else if (err !== null) {
          expect(err).toBeInstanceOf(TRPCError);
          expect((err as TRPCError).message).not.toMatch(/lacks the scope|API key/);
          expect((err as TRPCError).code).not.toBe("UNAUTHORIZED");
        }
      });
    }
  }

  it("a session may call every procedure's access check (sessions have every scope)", async () => {
    for (const [name, procedure] of procedures) {
      if (procedure._def.meta?.access === "public") continue;
      const context = callerContext(h.db, storage, h.root.actor, {
        authenticate: async () => ({ via: "session", actor: h.root.actor, csrfToken: "c", sessionId: "s" }),
        csrfHeader: "c",
      });
      const err = await callProcedure(createCaller(context), name, undefined);
      if (err) expect((err as TRPCError).code, name).not.toBe("FORBIDDEN");
    }
  });

  it("over HTTP, the tRPC door reads the key's scopes too", async () => {
    const res = await h.call("POST", "/api/trpc/exports.create", {
      token: keys.read.token,
      body: { request_path: "/api/v1/products/" },
    });
    expect(res.status).toBe(403);
    expect((res.body as { error: { message: string } }).error.message).toBe(lacksScope("exports:write"));
    const read = await h.call("GET", "/api/trpc/exports.list?input=%7B%7D", { token: keys.read.token });
    expect(read.status).toBe(200);
  });
});
