/** The dashboard session's secret: httpOnly, so no script ever reads it. */
export const SESSION_COOKIE = "exports_session";
/** The session's CSRF token, readable by the dashboard, which echoes it in CSRF_HEADER (double submit). */
export const CSRF_COOKIE = "exports_csrf";
export const CSRF_HEADER = "x-csrf-token";
