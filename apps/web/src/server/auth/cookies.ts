/**
 * The dashboard's two cookies, and a minimal RFC 6265 reader and writer for them (no dependency needed).
 *
 * - `exports_session`: the session secret. httpOnly (no script ever reads it), SameSite=Lax (not sent with
 *   cross-site POSTs or sub-requests), Path=/ (the download link under /api/v1 needs it too), Secure when the
 *   request came over https (directly or per X-Forwarded-Proto).
 * - `exports_csrf`: the session's CSRF token, readable by the dashboard's script, which echoes it in the
 *   `x-csrf-token` header of every request (double submit, checked against the token stored with the session).
 */
export const SESSION_COOKIE = "exports_session";
export const CSRF_COOKIE = "exports_csrf";
export const CSRF_HEADER = "x-csrf-token";

export interface CookieOptions {
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "Lax" | "Strict";
  path?: string;
  /** Seconds; 0 deletes the cookie. Absent: a browser-session cookie. */
  maxAge?: number;
  expires?: Date;
}

/** One `Set-Cookie` value. Values are the server's own base64url strings; anything else is encoded. */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path ?? "/"}`];
  if (options.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAge))}`);
  if (options.expires) parts.push(`Expires=${options.expires.toUTCString()}`);
  if (options.httpOnly) parts.push("HttpOnly");
  if (options.secure) parts.push("Secure");
  parts.push(`SameSite=${options.sameSite ?? "Lax"}`);
  return parts.join("; ");
}

/** The cookies of a `Cookie` header; the first of a repeated name wins (the most specific path, RFC 6265 §5.4). */
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

/** The session's two cookies, as sign-in sets them; both end when the session's absolute maximum age does. */
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
