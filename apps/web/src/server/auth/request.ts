import {
  type Actor,
  authenticateHeader,
  authenticateSession,
  type Db,
  env,
  parseAuthorization,
  unauthenticated,
} from "@exports/core";
import { parseCookies, SESSION_COOKIE } from "./cookies";

/** How the client looks to the web door. */
export interface ClientInfo {
  /** The client's address (see clientAddress), or null when unknown. */
  ip: string | null;
  userAgent: string | null;
  /** The request came over https (directly, or per the proxy's X-Forwarded-Proto): cookies get `Secure`. */
  secure: boolean;
}

/**
 * The client's address, the way Django REST framework's NUM_PROXIES reads it:
 * - NUM_PROXIES=0 (the default: the app exposed directly): the socket's address. X-Forwarded-For is ignored,
 *   since any client can send it and a forged one would dodge per-address sign-in throttling.
 * - NUM_PROXIES=N ≥ 1 (N reverse proxies in front, each appending the address it saw): the N-th entry of
 *   X-Forwarded-For from the right (the leftmost when there are fewer); the socket's address when the header
 *   is absent.
 */
export function clientAddress(
  headers: Headers,
  socketAddress: string | null,
  numProxies: number,
): string | null {
  const socket = socketAddress?.slice(0, 64) || null;
  if (numProxies <= 0) return socket;
  const entries = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (entries.length === 0) return socket;
  return entries[entries.length - Math.min(numProxies, entries.length)]?.slice(0, 64) ?? socket;
}

export interface ClientInfoOptions {
  /** The request URL (its scheme decides `Secure` when no proxy says X-Forwarded-Proto). */
  url?: string;
  /** The address of the socket the request came in on (http/socket-address.ts), or null. */
  socketAddress?: string | null;
  numProxies?: number;
}

export function clientInfo(headers: Headers, options: ClientInfoOptions = {}): ClientInfo {
  const { url, socketAddress = null, numProxies = env().NUM_PROXIES } = options;
  const forwardedProto = headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  let https = forwardedProto === "https";
  if (!forwardedProto && url) {
    try {
      https = new URL(url).protocol === "https:";
    } catch {
      https = false;
    }
  }
  return {
    ip: clientAddress(headers, socketAddress, numProxies),
    userAgent: headers.get("user-agent"),
    secure: https,
  };
}

/** Who a request is, and how it proved it (a cookie-authenticated mutation must also carry the CSRF token). */
export type RequestAuth =
  | { via: "token"; actor: Actor }
  | { via: "session"; actor: Actor; csrfToken: string };

/** The session secret of a request's cookie, or null. */
export function sessionSecretOf(headers: Headers): string | null {
  return parseCookies(headers.get("cookie")).get(SESSION_COOKIE) ?? null;
}

/**
 * `Authorization: Token <key>` first (API clients; a header, present but wrong, is its own 401 and never
 * falls back to the cookie); else the session cookie when the door accepts one; else 401 "Authentication
 * credentials were not provided.".
 */
export async function authenticateRequest(
  db: Db,
  headers: Headers,
  options: { allowSession: boolean },
): Promise<RequestAuth> {
  const authorization = headers.get("authorization");
  if (parseAuthorization(authorization).kind !== "none" || !options.allowSession) {
    return { via: "token", actor: await authenticateHeader(db, authorization) };
  }
  const secret = sessionSecretOf(headers);
  if (!secret) throw unauthenticated();
  const session = await authenticateSession(db, secret);
  return { via: "session", actor: session.actor, csrfToken: session.csrfToken };
}
