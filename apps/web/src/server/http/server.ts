import { createServer, type Server } from "node:http";
import { bindStorage, env, storageDirOf } from "@exports/core";
import next from "next";
import { isApiPath } from "../api/routes";
import { closeDb, getDb } from "../db";
import { getStorage } from "../storage";
import { dispatchApi, rejectUnservable } from "./dispatch";
import { serveFetch } from "./node";

export interface WebServerOptions {
  dev: boolean;
  port: number;
  /** apps/web (where .next and next.config.ts are). */
  dir: string;
}

export interface WebServer {
  server: Server;
  close(): Promise<void>;
}

/** The path of a request target ("/x?y" or an absolute "http://h/x?y"), without the query. */
function pathOf(target: string | undefined): string {
  const raw = target ?? "/";
  if (raw.startsWith("/")) {
    const q = raw.indexOf("?");
    return q === -1 ? raw : raw.slice(0, q);
  }
  try {
    return new URL(raw).pathname;
  } catch {
    return "/";
  }
}

/**
 * The web process: one node:http server. Every /api path goes straight to the API door (REST and tRPC,
 * fetch handlers calling @exports/core); everything else — pages, their assets — to Next.js. Why: Next's
 * per-request routing costs more than a whole REST answer (BENCHMARKS.md), and the API needs none of it.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  env(); // a bad configuration stops the start, with zod's message, before anything listens
  // A storage of another database stops it too (storage/binding.ts), before a request can touch its files.
  await bindStorage(getDb(), getStorage(), storageDirOf(env()));
  const server = createServer();
  const app = next({ dev: options.dev, dir: options.dir, port: options.port, httpServer: server });
  const handleNext = app.getRequestHandler();
  await app.prepare();

  server.on("request", (req, res) => {
    const served = isApiPath(pathOf(req.url))
      ? serveFetch(req, res, dispatchApi, rejectUnservable)
      : handleNext(req, res);
    served.catch((err: unknown) => {
      console.error("[web] unexpected error", err);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ detail: "A server error occurred." }));
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await app.close();
      await closeDb();
    },
  };
}
