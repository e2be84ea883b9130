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
 * The client's address from X-Forwarded-For, the way Django REST framework's NUM_PROXIES reads it: with N
 * proxies in front that each append the address they saw, the client is the N-th entry from the right.
 *
 * Route handlers get no socket address from Next.js; `next start` puts it into X-Forwarded-For when the
 * request has none. With NUM_PROXIES=0 (the app exposed directly) the last entry is that address, unless the
 * client sent the header itself, which nothing at this layer can tell apart: per-address sign-in throttling
 * is then only as good as the client's honesty, while per-username throttling holds regardless. In
 * production, run behind a reverse proxy that appends (or overwrites) X-Forwarded-For and set NUM_PROXIES.
 */
export function clientAddress(headers: Headers, numProxies: number): string | null {
  const entries = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (entries.length === 0) return null;
  const index = entries.length - Math.min(Math.max(numProxies, 1), entries.length);
  return entries[index]?.slice(0, 64) ?? null;
}

export function clientInfo(headers: Headers, url?: string, numProxies = env().NUM_PROXIES): ClientInfo {
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
    ip: clientAddress(headers, numProxies),
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
