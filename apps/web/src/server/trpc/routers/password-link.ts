import { checkPasswordLink, setPasswordWithLink } from "@exports/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { publicProcedure } from "../init";

const tokenInput = z.object({ token: z.string().max(200) });

/**
 * The dashboard's /set-password page (issue 18): a one-time link a superuser issued. No session is needed
 * (the link is the credential) nor CSRF token (there is no session to ride); attempts are throttled per
 * client address with sign-in's counts (core's auth/password-links.ts).
 */
export const passwordLinkRouter = {
  /** Whose link it is, or NOT_FOUND when it is unknown, used or expired. */
  check: publicProcedure
    .input(tokenInput)
    .query(({ ctx, input }) => checkPasswordLink(ctx.db, { token: input.token, ip: ctx.client.ip })),
  /** Sets the password once; the person then signs in with it. */
  set: publicProcedure
    .input(tokenInput.extend({ password: z.string().max(1024) }))
    .mutation(({ ctx, input }) =>
      setPasswordWithLink(ctx.db, { token: input.token, password: input.password, ip: ctx.client.ip }),
    ),
} satisfies TRPCRouterRecord;
