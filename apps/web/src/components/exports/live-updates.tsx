"use client";

import { useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext, useEffect, useState } from "react";
import { applyLiveChange, type ExportsKeys, type LiveChange } from "~/lib/live-cache";
import { isUnauthorized, useTRPC, useTRPCClient } from "~/trpc/client";

/** Whether the live stream is up: while it is, the exports pages do not poll. */
const LiveContext = createContext(false);

export function useLiveUpdates(): boolean {
  return useContext(LiveContext);
}

/** Backoff after the stream failed (refused, server gone): 1 s, 2 s, 4 s … 30 s, with jitter. */
const retryDelay = (failures: number) => Math.min(30_000, 1_000 * 2 ** failures) * (0.75 + Math.random() / 2);

/**
 * Keeps one live stream (`exports.changes`, server-sent events) open for the signed-in user and writes each
 * pushed export into the query cache. The browser's EventSource reconnects by itself after a dropped
 * connection (tRPC then sends the last event id and the server replays what was missed); a stream that fails
 * for good (refused, server stopped) is opened again with backoff. Meanwhile the pages poll as before.
 * Mounted inside RequireAuth: signing out unmounts it, which closes the stream.
 */
export function LiveUpdatesProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [up, setUp] = useState(false);

  useEffect(() => {
    const keys: ExportsKeys = {
      list: trpc.exports.list.pathKey(),
      get: trpc.exports.get.pathKey(),
      getOne: (id) => trpc.exports.get.queryKey({ id }),
    };
    let stopped = false;
    let failures = 0;
    let lastEventId: string | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let subscription: { unsubscribe(): void } | undefined;

    const restart = () => {
      setUp(false);
      subscription?.unsubscribe();
      if (stopped) return;
      retry = setTimeout(start, retryDelay(failures++));
    };

    function start() {
      const resumeFrom = lastEventId;
      subscription = client.exports.changes.subscribe(resumeFrom ? { lastEventId: resumeFrom } : undefined, {
        onStarted() {
          failures = 0;
          setUp(true);
          // A fresh stream cannot replay what changed before it: the pages catch up once.
          if (lastEventId === null) {
            void queryClient.invalidateQueries({ queryKey: keys.list });
            void queryClient.invalidateQueries({ queryKey: keys.get });
          }
        },
        onData(event) {
          lastEventId = event.id;
          applyLiveChange(queryClient, keys, event.data as LiveChange);
        },
        onConnectionStateChange(state) {
          // "connecting" again: the connection dropped and the browser is reconnecting; poll meanwhile.
          if (state.state === "connecting" && state.error) setUp(false);
        },
        onError(error) {
          // Signed out or expired: the session guard sends the person to the sign-in page.
          if (isUnauthorized(error)) {
            setUp(false);
            void queryClient.invalidateQueries({ queryKey: [["auth", "me"]] });
            return;
          }
          restart();
        },
        // The server ended the stream (it is stopping).
        onComplete: restart,
      });
    }

    start();
    return () => {
      stopped = true;
      clearTimeout(retry);
      subscription?.unsubscribe();
      setUp(false);
    };
  }, [client, queryClient, trpc]);

  return <LiveContext.Provider value={up}>{children}</LiveContext.Provider>;
}

/** Says whether changes are pushed (the stream is up) or polled (it is down). */
export function LiveStatus() {
  const up = useLiveUpdates();
  return (
    <span className={`live-status ${up ? "up" : "down"}`} data-testid="live-status" data-live={up}>
      {up ? "Live updates on." : "Live updates reconnecting; running exports refresh every second meanwhile."}
    </span>
  );
}
