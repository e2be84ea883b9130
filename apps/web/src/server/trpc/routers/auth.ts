import {
  type Actor,
  asDomainError,
  assertCsrfToken,
  authenticateSession,
  type Session,
  signIn,
  signInInput,
  signOut,
} from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { clearSessionCookies, setSessionCookies } from "../../auth/cookies";
import { publicProcedure } from "../init";

/** The signed-in user as the dashboard sees it (the REST contract's snake_case). */
export interface SessionUser {
  id: string;
  username: string;
  is_superuser: boolean;
}

const userOf = (actor: Actor): SessionUser => ({
  id: actor.id,
  username: actor.username,
  is_superuser: actor.isSuperuser,
});

/**
 * Sign-in, sign-out and "who am I" for the dashboard (core's auth/sessions.ts does the work; this door only
 * moves the session between core and the cookies).
 */
export const authRouter = {
  /**
   * Username + password → a new session in the `exports_session` (httpOnly) and `exports_csrf` (readable)
   * cookies. The session the browser presented, if any, is revoked (rotation). Wrong credentials: 401
   * "Invalid username or password."; too many failures: 429 with a Retry-After.
   *
   * No CSRF token is needed (there is no session yet); a cross-site page cannot sign a browser in either:
   * the input must be a JSON object, and a cross-site JSON POST needs a CORS preflight this app never grants.
   */
  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    const session = await signIn(ctx.db, {
      ...input,
      ip: ctx.client.ip,
      userAgent: ctx.client.userAgent,
      previousSecret: ctx.sessionSecret,
    });
    setSessionCookies(ctx.setCookie, session, ctx.client.secure);
    return { user: userOf(session.actor) };
  }),

  /**
   * Ends the session and clears both cookies. A live session needs its CSRF token here as for any
   * cookie-authenticated mutation (else another site could sign a person out); without one (already
   * expired, or none) there is nothing to protect and the cookies are simply cleared.
   */
  signOut: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionSecret) {
      let session: Session | null = null;
      try {
        session = await authenticateSession(ctx.db, ctx.sessionSecret);
      } catch (err) {
        if (asDomainError(err)?.code !== "UNAUTHENTICATED") throw err;
      }
      if (session) {
        assertCsrfToken(session.csrfToken, ctx.csrfHeader);
        await signOut(ctx.db, ctx.sessionSecret);
      }
    }
    clearSessionCookies(ctx.setCookie, ctx.client.secure);
    return { ok: true as const };
  }),

  /** The signed-in user (session cookie or token), or null when nobody is. */
  me: publicProcedure.query(async ({ ctx }): Promise<{ user: SessionUser } | null> => {
    try {
      const auth = await ctx.authenticate();
      return { user: userOf(auth.actor) };
    } catch (err) {
      if (asDomainError(err)?.code === "UNAUTHENTICATED") return null;
      throw err;
    }
  }),
} satisfies TRPCRouterRecord;
