import type { Storage } from "@exports/core";
import {
  type Actor,
  asDomainError,
  authenticateHeader,
  type Db,
  type DomainError,
  ERROR_TABLE,
  zodFieldErrors,
} from "@exports/core";
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";

/**
 * The context is request-free: a database handle and a way to find the actor. The HTTP adapter builds it
 * from headers; tests build it directly (`createCaller({ db, authenticate: async () => actor })`).
 */
export interface TRPCContext {
  db: Db;
  storage: Storage;
  /** Resolves the acting user, or throws the domain's UNAUTHENTICATED error. */
  authenticate: () => Promise<Actor>;
}

export function createContextFromHeaders(db: Db, storage: Storage, headers: Headers): TRPCContext {
  let actor: Promise<Actor> | undefined;
  return {
    db,
    storage,
    authenticate: () => {
      actor ??= authenticateHeader(db, headers.get("authorization"));
      return actor;
    },
  };
}

function toTRPCError(domain: DomainError): TRPCError {
  return new TRPCError({ code: ERROR_TABLE[domain.code].trpc, message: domain.detail, cause: domain });
}

const t = initTRPC.context<TRPCContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const domain = asDomainError(cause);
    const fieldErrors = domain?.fields ?? (cause instanceof ZodError ? zodFieldErrors(cause) : undefined);
    return {
      ...shape,
      // A genuine bug's message (a driver error carries SQL and parameters) stays in the server log, as the
      // REST door's 500 does.
      message: error.code === "INTERNAL_SERVER_ERROR" && !domain ? "A server error occurred." : shape.message,
      // Never send a stack trace to a client.
      data: {
        ...shape.data,
        stack: undefined,
        fieldErrors: fieldErrors ?? null,
        domainCode: domain?.code ?? null,
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
export const publicProcedure = t.procedure.use(domainErrors);

export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const actor = await ctx.authenticate();
  return next({ ctx: { ...ctx, actor } });
});
