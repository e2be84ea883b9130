import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequestListener } from "~/server/rest/adapter/listener";

/** A server-sent event as the wire carried it (RFC: event, data, id). */
export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

/** The web server's request listener on a real socket (pages answer 404: only the API door matters here). */
export async function listenWeb(): Promise<{ server: Server; base: string; close(): Promise<void> }> {
  const server = createServer(
    createRequestListener(async (_req, res) => {
      res.statusCode = 404;
      res.end();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    base,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface SseStream {
  status: number;
  headers: Headers;
  events: SseEvent[];
  /** Resolves when the server ended the response. */
  ended: Promise<void>;
  /** The first event (from `from` on) that matches, within `ms`; fails otherwise. */
  waitFor(match: (e: SseEvent) => boolean, what: string, ms?: number): Promise<SseEvent>;
  /** Goes away as a browser closing the tab would (the socket closes). */
  close(): void;
}

/** Opens `path` over real HTTP and parses its event stream as it arrives. */
export async function openSse(base: string, path: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(new URL(path, base), {
    headers: { Accept: "text/event-stream", ...headers },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const body = res.body;
  if (!body) throw new Error("no body");
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let at = buffer.indexOf("\n\n"); at >= 0; at = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const event: SseEvent = { event: "message", data: "", id: null };
          for (const line of block.split("\n")) {
            const colon = line.indexOf(":");
            if (colon <= 0) continue;
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") event.event = value;
            else if (field === "data") event.data += value;
            else if (field === "id") event.id = value;
          }
          if (block.trim() !== "") events.push(event);
        }
        for (const w of waiters) w();
      }
    } catch {
      // aborted by close()
    } finally {
      for (const w of waiters) w();
    }
  })();
  let done = false;
  void ended.then(() => {
    done = true;
  });
  const stream: SseStream = {
    status: res.status,
    headers: res.headers,
    events,
    ended,
    async waitFor(match, what, ms = 15_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        if (done) throw new Error(`the stream ended without ${what}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`not within ${ms} ms: ${what}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(finish, left);
          function finish() {
            clearTimeout(timer);
            waiters.delete(finish);
            resolve();
          }
          waiters.add(finish);
        });
      }
    },
    close: () => abort.abort(),
  };
  return stream;
}

/** The `data` of a message event, parsed. */
export const dataOf = <T>(e: SseEvent): T => JSON.parse(e.data) as T;
