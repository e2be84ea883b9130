import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { API_SECURITY_HEADERS } from "../../security-headers";
import { StringResponse } from "../http/string-response";
import { dispatchApi, isApiPath, rejectUnservable } from "../router/router";
import { sendFetchResponse, serveFetch } from "./node";

/**
 * What a request target names (RFC 9112 §3.2): a path (origin- or absolute-form), the server (`*`), or nothing
 * of this site (`host:port`, another scheme, a bare word).
 */
export type RequestTarget = { kind: "path"; pathname: string } | { kind: "asterisk" } | { kind: "malformed" };

export function requestTarget(target: string | undefined): RequestTarget {
  const raw = target ?? "";
  if (raw === "*") return { kind: "asterisk" };
  if (raw.startsWith("/")) {
    const q = raw.indexOf("?");
    return { kind: "path", pathname: q === -1 ? raw : raw.slice(0, q) };
  }
  try {
    const url = new URL(raw);
    if (url.protocol === "http:" || url.protocol === "https:")
      return { kind: "path", pathname: url.pathname };
  } catch {
    // not a URL either
  }
  return { kind: "malformed" };
}

/** Methods the server as a whole answers (`OPTIONS *`). */
const SERVER_METHODS = "GET, HEAD, POST, OPTIONS";

/**
 * The answer to a target that names no path: `OPTIONS *` gets 204 with the server's methods; any other method
 * with `*`, and every malformed target, a JSON 400 (Next.js would answer them with a 500).
 */
export function answerWithoutPath(method: string, target: RequestTarget): Response {
  const headers = new Headers();
  for (const { key, value } of API_SECURITY_HEADERS) headers.set(key, value);
  if (target.kind === "asterisk" && method === "OPTIONS") {
    headers.set("Allow", SERVER_METHODS);
    return new Response(null, { status: 204, headers });
  }
  headers.set("Content-Type", "application/json");
  const detail =
    target.kind === "asterisk"
      ? `The request target "*" is only meaningful with OPTIONS, not ${method}.`
      : "Malformed request target: expected a path such as /api/v1/exports/.";
  return new StringResponse(JSON.stringify({ detail }), { status: 400, headers });
}

/** The web server's request listener: /api paths to the API door, other paths (pages) to `handlePage`. */
export function createRequestListener(
  handlePage: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const target = requestTarget(req.url);
    const method = (req.method ?? "").toUpperCase();
    let served: Promise<void>;
    if (target.kind !== "path") served = sendFetchResponse(res, answerWithoutPath(method, target), method);
    else if (isApiPath(target.pathname)) served = serveFetch(req, res, dispatchApi, rejectUnservable);
    else served = handlePage(req, res);
    served.catch((err: unknown) => {
      console.error("[web] unexpected error", err);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ detail: "A server error occurred." }));
      } else res.destroy();
    });
  };
}

/** The status of a request node's HTTP parser refused (RFC 9110 §15.5). */
function clientErrorStatus(code: string | undefined): [number, string, string] {
  if (code === "HPE_HEADER_OVERFLOW")
    return [431, "Request Header Fields Too Large", "The request's headers are too large."];
  if (code === "ERR_HTTP_REQUEST_TIMEOUT")
    return [408, "Request Timeout", "The request took too long to arrive."];
  return [400, "Bad Request", "Malformed HTTP request."];
}

/**
 * The server's `clientError` handler: a request node's parser refuses gets a JSON 4xx and the connection
 * closes, instead of node's bare 400.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // Gone already (ECONNRESET), or an answer under way: nothing to say.
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, detail] = clientErrorStatus(err.code);
  const body = JSON.stringify({ detail });
  const security = API_SECURITY_HEADERS.map(({ key, value }) => `${key}: ${value}\r\n`).join("");
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${security}Connection: close\r\n\r\n${body}`,
  );
}
