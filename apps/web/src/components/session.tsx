"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useRouter } from "next/navigation";
import { createContext, type ReactNode, useContext, useEffect } from "react";
import type { AppRouter } from "~/server/trpc/root";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage } from "./messages";

export type SessionUser = NonNullable<inferRouterOutputs<AppRouter>["auth"]["me"]>["user"];

/** Who is signed in: `undefined` while asking, `null` when nobody is. */
export function useSession() {
  const trpc = useTRPC();
  return useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 30_000 }));
}

export function useSignOut() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation(
    trpc.auth.signOut.mutationOptions({
      onSettled: () => {
        // Nothing of the previous user's stays in the cache.
        queryClient.clear();
        queryClient.setQueryData(trpc.auth.me.queryKey(), null);
        router.replace("/sign-in");
      },
    }),
  );
}

const UserContext = createContext<SessionUser | null>(null);

/** The signed-in user inside a dashboard page (RequireAuth has made sure there is one). */
export function useCurrentUser(): SessionUser {
  const user = useContext(UserContext);
  if (!user) throw new Error("useCurrentUser outside RequireAuth");
  return user;
}

/** Shows its children to a signed-in user; anyone else goes to the sign-in page (and comes back after). */
export function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const router = useRouter();
  const signedOut = session.data === null;
  useEffect(() => {
    if (!signedOut) return;
    const here = `${window.location.pathname}${window.location.search}`;
    router.replace(`/sign-in?next=${encodeURIComponent(here)}`);
  }, [signedOut, router]);

  if (session.isPending) {
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  }
  if (session.isError && session.data === undefined) {
    return <ErrorMessage error={session.error} />;
  }
  if (!session.data) {
    return (
      <p className="loading" role="status">
        Redirecting to sign-in…
      </p>
    );
  }
  return <UserContext.Provider value={session.data.user}>{children}</UserContext.Provider>;
}
