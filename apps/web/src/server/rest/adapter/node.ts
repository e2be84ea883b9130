import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { rememberSocketAddress } from "../http/socket-address";
import { StringResponse } from "../http/string-response";

/** node:http ↔ fetch, for the API door's fetch-style handlers (no Next.js router in between). */

/** The origin when the client's Host is no valid authority (the path still counts). */
const FALLBACK_ORIGIN = "http://localhost";

function originOf(req: IncomingMessage): string {
  const host = req.headers.host;
  if (host) {
    try {
      return new URL(`http://${host}`).origin;
    } catch {
      // fall through
    }
  }
  return FALLBACK_ORIGIN;
}

/**
 * The fetch Request of a node request, headers as sent; the socket's address goes beside it
 * (../http/socket-address.ts), where no client can write.
 */
export function toFetchRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    // HTTP/2 pseudo-headers cannot be fetch headers.
    if (name.startsWith(":")) continue;
    headers.append(name, req.rawHeaders[i + 1] as string);
  }
  const method = (req.method ?? "GET").toUpperCase();
  // No AbortSignal (it costs a third of the Request): a client that goes away errors the body stream, and
  // cancels the answer's body (sendFetchResponse).
  const init: RequestInit & { duplex?: "half" } = { method, headers };
  if (method !== "GET" && method !== "HEAD") {
    init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
    init.duplex = "half";
  }
  const request = new Request(new URL(req.url ?? "/", originOf(req)), init);
  rememberSocketAddress(request, req.socket.remoteAddress);
  return request;
}

/** Writes a fetch Response to a node response, streaming its body with backpressure. */
export async function sendFetchResponse(
  res: ServerResponse,
  response: Response,
  method: string | undefined,
): Promise<void> {
  res.statusCode = response.status;
  const pending = response instanceof StringResponse ? response.pendingHeaders() : null;
  if (pending !== null) {
    for (const [name, value] of pending) res.setHeader(name, value);
  } else {
    const cookies = response.headers.getSetCookie();
    for (const [name, value] of response.headers) {
      if (name !== "set-cookie") res.setHeader(name, value);
    }
    if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  }
  if (response instanceof StringResponse) {
    res.end(method === "HEAD" ? undefined : response.bodyText);
    return;
  }
  if (!response.body || method === "HEAD") {
    await response.body?.cancel();
    res.end();
    return;
  }
  // A client gone ends the pipeline, cancelling the source (a download's file).
  await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), res).catch(
    () => undefined,
  );
}

/**
 * Serves one node request with a fetch handler; one that cannot become a fetch Request (fetch refuses
 * CONNECT, TRACE, TRACK) gets `unservable`'s answer.
 */
export async function serveFetch(
  req: IncomingMessage,
  res: ServerResponse,
  handle: (request: Request) => Promise<Response>,
  unservable: (method: string, pathname: string) => Response,
): Promise<void> {
  let request: Request;
  try {
    request = toFetchRequest(req);
  } catch {
    const method = (req.method ?? "").toUpperCase();
    let pathname = "/";
    try {
      pathname = new URL(req.url ?? "/", FALLBACK_ORIGIN).pathname;
    } catch {
      // an unparsable target: answered as an unknown path
    }
    await sendFetchResponse(res, unservable(method, pathname), method);
    return;
  }
  await sendFetchResponse(res, await handle(request), req.method);
}
