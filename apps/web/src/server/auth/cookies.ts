/**
 * The dashboard's cookies: `exports_session`, the session secret (httpOnly, SameSite=Lax, Path=/ for the
 * download link, Secure over https), and `exports_csrf`, the CSRF token the dashboard echoes in
 * `x-csrf-token` (double submit). A minimal RFC 6265 reader and writer.
 */
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from "@exports/core/contract";

export { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE };

export interface CookieOptions {
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "Lax" | "Strict";
  path?: string;
  /** Seconds; 0 deletes the cookie. Absent: a browser-session cookie. */
  maxAge?: number;
  expires?: Date;
}

/** One `Set-Cookie` value (values are encoded). */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path ?? "/"}`];
  if (options.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAge))}`);
  if (options.expires) parts.push(`Expires=${options.expires.toUTCString()}`);
  if (options.httpOnly) parts.push("HttpOnly");
  if (options.secure) parts.push("Secure");
  parts.push(`SameSite=${options.sameSite ?? "Lax"}`);
  return parts.join("; ");
}

/** The cookies of a `Cookie` header; of a repeated name the first (most specific path, RFC 6265 §5.4). */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    if (!name || out.has(name)) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      out.set(name, decodeURIComponent(value));
    } catch {
      out.set(name, value);
    }
  }
  return out;
}

export type SetCookie = (name: string, value: string, options: CookieOptions) => void;

/** The session's two cookies; both end with the session's absolute maximum age. */
export function setSessionCookies(
  setCookie: SetCookie,
  session: { secret: string; csrfToken: string; maxExpiresAt: Date },
  secure: boolean,
): void {
  const maxAge = Math.max(1, Math.floor((session.maxExpiresAt.getTime() - Date.now()) / 1000));
  setCookie(SESSION_COOKIE, session.secret, { httpOnly: true, secure, sameSite: "Lax", path: "/", maxAge });
  setCookie(CSRF_COOKIE, session.csrfToken, { httpOnly: false, secure, sameSite: "Lax", path: "/", maxAge });
}

/** Deletes both cookies (sign-out, or a session found expired). */
export function clearSessionCookies(setCookie: SetCookie, secure: boolean): void {
  const gone = { secure, sameSite: "Lax", path: "/", maxAge: 0, expires: new Date(0) } as const;
  setCookie(SESSION_COOKIE, "", { ...gone, httpOnly: true });
  setCookie(CSRF_COOKIE, "", { ...gone, httpOnly: false });
}
