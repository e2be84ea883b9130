import type { Access, Actor, Storage } from "@exports/core";
import {
  asDomainError,
  assertAccess,
  assertCsrfToken,
  authenticateHeader,
  checkSession,
  type Db,
  DomainError,
  ERROR_TABLE,
  parseAuthorization,
  SESSION_EXPIRED,
  zodFieldErrors,
} from "@exports/core";
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { LIVE_PING_MS } from "../../trpc/limits";
import { CSRF_HEADER, clearSessionCookies, type SetCookie } from "../auth/cookies";
import {
  authenticateRequest,
  type ClientInfo,
  clientInfo,
  type RequestAuth,
  sessionSecretOf,
} from "../auth/request";

/**
 * The context is request-free: a database handle, a way to find the actor, and the few facts of the HTTP
 * request the auth procedures need (as plain values, and cookie-writing as a function). The HTTP adapter
 * builds it from the request; tests build it directly (`createCaller({ ..., authenticate: async () =>
 * ({ via: "token", actor }) })`) and stub `setCookie`.
 */
export interface TRPCContext {
  db: Db;
  storage: Storage;
  /** Resolves the caller (token or session cookie), or throws the domain's UNAUTHENTICATED error. */
  authenticate: () => Promise<RequestAuth>;
  /**
   * The caller again, read afresh and without sliding a session's expiry (a live stream re-checks its
   * session with it); absent: `authenticate`'s answer stands for the whole call.
   */
  reauthenticate?: () => Promise<Actor>;
  /** The request's `x-csrf-token` header, or null. */
  csrfHeader: string | null;
  /** The session secret in the request's cookie, or null. */
  sessionSecret: string | null;
  client: ClientInfo;
  /** Adds a `Set-Cookie` to the response. */
  setCookie: SetCookie;
}

export interface RequestContextOptions {
  /** The request URL (its scheme decides `Secure` when no proxy says X-Forwarded-Proto). */
  url?: string;
  /** The address of the socket the request came in on, or null (see auth/request.ts clientAddress). */
  socketAddress?: string | null;
  /** Where cookies go: the fetch adapter's `resHeaders`. Without it (a server-side caller) none are set. */
  setCookie?: SetCookie;
}

export function createContextFromHeaders(
  db: Db,
  storage: Storage,
  headers: Headers,
  options: RequestContextOptions = {},
): TRPCContext {
  const client = clientInfo(headers, { url: options.url, socketAddress: options.socketAddress ?? null });
  const setCookie: SetCookie = options.setCookie ?? (() => {});
  let auth: Promise<RequestAuth> | undefined;
  return {
    db,
    storage,
    csrfHeader: headers.get(CSRF_HEADER),
    sessionSecret: sessionSecretOf(headers),
    client,
    setCookie,
    authenticate: () => {
      auth ??= authenticateRequest(db, headers, { allowSession: true }).catch((err: unknown) => {
        // A session cookie that no longer works is removed, so the browser stops sending it.
        if (asDomainError(err)?.detail === SESSION_EXPIRED) clearSessionCookies(setCookie, client.secure);
        throw err;
      });
      return auth;
    },
    reauthenticate: async () => {
      const authorization = headers.get("authorization");
      // A revoked or expired key ends the stream at its next check (401).
      if (parseAuthorization(authorization).kind !== "none") return authenticateHeader(db, authorization);
      return checkSession(db, sessionSecretOf(headers));
    },
  };
}

export function toTRPCError(domain: DomainError): TRPCError {
  return new TRPCError({ code: ERROR_TABLE[domain.code].trpc, message: domain.detail, cause: domain });
}

/**
 * What a procedure declares (issue 18): the access it needs of its caller (core's Access), or `public` for the
 * few that need no authentication (sign-in). Checked once, by protectedProcedure's middleware.
 */
export interface ProcedureMeta {
  access?: Access | "public";
}

const t = initTRPC
  .context<TRPCContext>()
  .meta<ProcedureMeta>()
  .create({
    // Server-sent events (the live dashboard, routers/live.ts): a comment-like ping keeps proxies from closing
    // an idle stream, and a client that hears nothing for longer reconnects (a connection dead but not closed).
    sse: {
      ping: { enabled: true, intervalMs: LIVE_PING_MS },
      client: { reconnectAfterInactivityMs: LIVE_PING_MS * 3 },
    },
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      const domain = asDomainError(cause);
      const fieldErrors = domain?.fields ?? (cause instanceof ZodError ? zodFieldErrors(cause) : undefined);
      // A genuine bug's message (a driver error carries SQL and parameters) stays in the server log, as the
      // REST door's 500 does; an input that fails its schema is said in the REST door's field errors, never as
      // zod's own dump of issues (its message).
      let message = shape.message;
      if (error.code === "INTERNAL_SERVER_ERROR" && !domain) message = "A server error occurred.";
      else if (cause instanceof ZodError) message = "Invalid input.";
      return {
        ...shape,
        message,
        // Never send a stack trace to a client.
        data: {
          ...shape.data,
          stack: undefined,
          fieldErrors: fieldErrors ?? null,
          domainCode: domain?.code ?? null,
          /** Seconds to wait before trying again (a 429 or 503), also sent as the `Retry-After` header. */
          retryAfter: domain?.retryAfter ?? null,
        },
      };
    },
  });

/** Maps the domain's typed errors (ERROR_TABLE) to tRPC codes, once for every procedure. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const domain = asDomainError(result.error.cause);
    if (domain) throw toTRPCError(domain);
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
const baseProcedure = t.procedure.use(domainErrors);
export const publicProcedure = baseProcedure.meta({ access: "public" });

export const UNDECLARED_ACCESS = "This procedure declares no access.";

/**
 * Authenticated (401 first), then CSRF: a mutation authenticated by the session cookie must carry the
 * session's CSRF token in `x-csrf-token` (the dashboard reads it from the `exports_csrf` cookie, which
 * another site cannot read), or it is FORBIDDEN "CSRF token missing or invalid.". A token-authenticated
 * request needs none: a cross-site page cannot make a browser send an `Authorization` header. Queries (and
 * subscriptions) change nothing and need none.
 */
export const protectedProcedure = baseProcedure
  .use(async ({ ctx, next }) => {
    const auth = await ctx.authenticate();
    return next({ ctx: { ...ctx, auth, actor: auth.actor } });
  })
  // The procedure's declared access against the key's scopes (a session may do everything); a procedure that
  // declares none is refused to everyone, so a forgotten declaration fails closed (and test/scopes.test.ts).
  .use(async function accessCheck({ ctx, meta, next }) {
    const need = meta?.access;
    if (need === undefined || need === "public") throw new DomainError("FORBIDDEN", UNDECLARED_ACCESS);
    assertAccess(ctx.auth.via === "token" ? ctx.auth : { via: "session" }, need);
    return next();
  })
  .use(async function csrfCheck({ ctx, type, next }) {
    if (type === "mutation" && ctx.auth.via === "session")
      assertCsrfToken(ctx.auth.csrfToken, ctx.csrfHeader);
    return next();
  });

/** Reads: lists, records, files, live changes (a key needs `exports:read`). */
export const readProcedure = protectedProcedure.meta({ access: "exports:read" });
/** Changes of exports, templates, webhooks (a key needs `exports:write`). */
export const writeProcedure = protectedProcedure.meta({ access: "exports:write" });
/** The account and its keys (a key needs every scope: a read-only key cannot mint a writing one). */
export const accountProcedure = protectedProcedure.meta({ access: "all-scopes" });
/** Only a signed-in session, never a key (changing the password). */
export const sessionProcedure = protectedProcedure.meta({ access: "session" });
