"use client";

import { CSRF_COOKIE, CSRF_HEADER } from "@exports/core/contract";
import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  isTRPCClientError,
  splitLink,
} from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import type { AppRouter } from "~/server/trpc/root";
import { TRPC_MAX_BATCH_SIZE } from "./limits";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

function readCookie(name: string): string | undefined {
  if (typeof document === "undefined") return undefined;
  const prefix = `${name}=`;
  const found = document.cookie.split("; ").find((c) => c.startsWith(prefix));
  return found === undefined ? undefined : decodeURIComponent(found.slice(prefix.length));
}

/** A 4xx answer is the same on a second try: only network and server errors are retried. */
function isClientError(error: unknown): boolean {
  if (!isTRPCClientError(error)) return false;
  const status = (error.data as { httpStatus?: number } | undefined)?.httpStatus;
  return typeof status === "number" && status >= 400 && status < 500;
}

export function isUnauthorized(error: unknown): boolean {
  return isTRPCClientError(error) && (error.data as { code?: string } | undefined)?.code === "UNAUTHORIZED";
}

function makeQueryClient() {
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      // A session that ended (expired, signed out in another tab): ask who is signed in, and the guard sends
      // the person to the sign-in page.
      onError: (error, query) => {
        const [path] = query.queryKey as [unknown];
        const isMe = Array.isArray(path) && path[0] === "auth" && path[1] === "me";
        if (isUnauthorized(error) && !isMe)
          void queryClient.invalidateQueries({ queryKey: [["auth", "me"]] });
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        retry: (failures, error) => !isClientError(error) && failures < 2,
      },
      mutations: { retry: false },
    },
  });
  return queryClient;
}

let browserQueryClient: QueryClient | undefined;

function getQueryClient() {
  // On the server every request gets its own client; in the browser one client lives for the page's life.
  if (typeof window === "undefined") return makeQueryClient();
  browserQueryClient ??= makeQueryClient();
  return browserQueryClient;
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          // The live exports stream (server-sent events; the session cookie goes with it, same origin).
          condition: (op) => op.type === "subscription",
          true: httpSubscriptionLink({ url: "/api/trpc" }),
          false: httpBatchLink({
            url: "/api/trpc",
            maxItems: TRPC_MAX_BATCH_SIZE,
            // The CSRF token the server set at sign-in, echoed on every request (double submit).
            headers() {
              const token = readCookie(CSRF_COOKIE);
              return token ? { [CSRF_HEADER]: token } : {};
            },
          }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
