import { asDomainError } from "@exports/core";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { serializeCookie } from "../auth/cookies";
import { getDb } from "../db";
import type { Endpoint } from "../http/route";
import { getStorage } from "../storage";
import { createContextFromHeaders } from "../trpc/init";
import { appRouter } from "../trpc/root";

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: ({ resHeaders }) =>
      createContextFromHeaders(getDb(), getStorage(), req.headers, {
        url: req.url,
        setCookie: (name, value, options) =>
          resHeaders.append("Set-Cookie", serializeCookie(name, value, options)),
      }),
    responseMeta({ errors }) {
      // Private, per-user answers: never kept by a browser or a shared cache.
      const headers = new Headers({ "Cache-Control": "private, no-store" });
      // A refused sign-in (429) or an unavailable database (503) says when to try again, as REST does.
      const retryAfter = Math.max(
        0,
        ...errors.map((e) => {
          const domain = asDomainError(e.cause);
          return domain?.retryAfter ?? (domain?.code === "UNAVAILABLE" ? 5 : 0);
        }),
      );
      if (retryAfter > 0) headers.set("Retry-After", String(retryAfter));
      return { headers };
    },
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR")
        console.error(`[trpc] ${path ?? "?"}:`, error.cause ?? error);
    },
  });

/** /api/trpc/{procedure} — the dashboard's tRPC API (fetch adapter). */
export const trpcEndpoint: Endpoint = { GET: handler, POST: handler };
