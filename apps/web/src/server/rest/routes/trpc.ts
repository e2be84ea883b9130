import { asDomainError } from "@exports/core";
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { TRPC_MAX_BATCH_SIZE } from "../../../trpc/limits";
import { serializeCookie } from "../../auth/cookies";
import { getDb } from "../../db";
import { getStorage } from "../../storage";
import { createContextFromHeaders } from "../../trpc/init";
import { appRouter } from "../../trpc/root";
import { MAX_JSON_BODY_BYTES, tooLarge } from "../http/body";
import { retryAfterOf } from "../http/respond";
import { socketAddressOf } from "../http/socket-address";
import { route } from "../route";

function bodyTooLarge(): TRPCError {
  const cause = tooLarge(MAX_JSON_BODY_BYTES);
  return new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: cause.detail, cause });
}

/**
 * The request with its body held to the REST JSON limit before the adapter parses it (anonymous procedures
 * included): over a declared length it fails at once, streamed as soon as it passes; the adapter answers 413.
 */
function withBodyLimit(req: Request): Request {
  if (!req.body) return req;
  const declared = Number(req.headers.get("content-length") ?? "0");
  let body: ReadableStream<Uint8Array>;
  if (declared > MAX_JSON_BODY_BYTES) {
    void req.body.cancel().catch(() => {});
    body = new ReadableStream({ pull: (controller) => controller.error(bodyTooLarge()) });
  } else {
    let size = 0;
    body = req.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          size += chunk.byteLength;
          if (size > MAX_JSON_BODY_BYTES) controller.error(bodyTooLarge());
          else controller.enqueue(chunk);
        },
      }),
    );
  }
  const init: RequestInit & { duplex: "half" } = {
    method: req.method,
    headers: req.headers,
    body,
    duplex: "half",
  };
  return new Request(req.url, init);
}

const handler = async (original: Request) => {
  const req = withBodyLimit(original);
  const res = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    // Without it one request of 1,000 `products.list` calls ran 2,000 queries; beyond it: 400, none run.
    maxBatchSize: TRPC_MAX_BATCH_SIZE,
    createContext: ({ resHeaders }) =>
      createContextFromHeaders(getDb(), getStorage(), req.headers, {
        url: req.url,
        socketAddress: socketAddressOf(original),
        setCookie: (name, value, options) =>
          resHeaders.append("Set-Cookie", serializeCookie(name, value, options)),
      }),
    responseMeta({ errors }) {
      // Joined to an event stream's own "no-cache, no-transform" (exports.changes).
      const headers = new Headers({ "Cache-Control": "private, no-store" });
      // A refused sign-in (429) or an unavailable database (503) says when to try again, as REST does.
      const retryAfter = Math.max(
        0,
        ...errors.map((e) => {
          const domain = asDomainError(e.cause);
          return domain ? (retryAfterOf(domain) ?? 0) : 0;
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
  // An error raised before the adapter knew the call (a content type, a body too large) is JSON without the
  // type saying so.
  const type = res.headers.get("content-type");
  if (!type || type.startsWith("text/plain")) res.headers.set("Content-Type", "application/json");
  return res;
};

/** The dashboard's tRPC API: not part of the REST contract (no OpenAPI description, no CORS). */
export const trpcRoute = route(
  "/api/trpc/{procedure}",
  // Each procedure declares its own access (trpc/init.ts), checked by the tRPC door.
  { GET: { handle: handler, access: "procedures" }, POST: { handle: handler, access: "procedures" } },
  { crossOrigin: false },
);
