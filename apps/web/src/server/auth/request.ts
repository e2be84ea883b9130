import {
  type Actor,
  authenticateSession,
  authenticateToken,
  type Db,
  env,
  parseAuthorization,
  unauthenticated,
} from "@exports/core";
import { parseCookies, SESSION_COOKIE } from "./cookies";

export interface ClientInfo {
  /** The client's address (clientAddress), or null when unknown. */
  ip: string | null;
  userAgent: string | null;
  /** Over https (directly, or per X-Forwarded-Proto): cookies get `Secure`. */
  secure: boolean;
}

/**
 * The client's address, as Django REST framework's NUM_PROXIES reads it: with 0 (the default) the socket's,
 * since a forged X-Forwarded-For would dodge per-address throttling; with N proxies in front the N-th
 * X-Forwarded-For entry from the right (or the socket's without the header). At most 64 characters.
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
  /** Its scheme decides `Secure` when no proxy says X-Forwarded-Proto. */
  url?: string;
  /** The socket's address (rest/http/socket-address.ts), or null. */
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

/** Who a request is, and how it proved it (a cookie-authenticated mutation also needs the CSRF token). */
export type RequestAuth =
  /** `scopes`: what the key may do (core's assertAccess checks an operation's declared need against them). */
  | { via: "token"; actor: Actor; scopes: readonly string[] }
  /** `sessionId`: the session's id (its secret's hash), e.g. the one kept when the password changes. */
  | { via: "session"; actor: Actor; csrfToken: string; sessionId: string };

/** The session secret of a request's cookie, or null. */
export function sessionSecretOf(headers: Headers): string | null {
  return parseCookies(headers.get("cookie")).get(SESSION_COOKIE) ?? null;
}

/**
 * `Authorization: Token <key>` first (a header present but wrong is its own 401, never a fall-back to the
 * cookie); else the session cookie where the door accepts one; else 401.
 */
export async function authenticateRequest(
  db: Db,
  headers: Headers,
  options: { allowSession: boolean },
): Promise<RequestAuth> {
  const authorization = headers.get("authorization");
  if (parseAuthorization(authorization).kind !== "none" || !options.allowSession) {
    const { actor, scopes } = await authenticateToken(db, authorization);
    return { via: "token", actor, scopes };
  }
  const secret = sessionSecretOf(headers);
  if (!secret) throw unauthenticated();
  const session = await authenticateSession(db, secret);
  return { via: "session", actor: session.actor, csrfToken: session.csrfToken, sessionId: session.id };
}
