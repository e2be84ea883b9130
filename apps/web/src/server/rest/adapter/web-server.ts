import { createServer, type Server } from "node:http";
import { bindStorage, env } from "@exports/core";
import next from "next";
import { closeDb, closeLiveStreams, getDb } from "../../db";
import { getStorage } from "../../storage";
import { answerClientError, createRequestListener } from "./listener";

export interface WebServerOptions {
  dev: boolean;
  port: number;
  /** apps/web (where .next and next.config.ts are). */
  dir: string;
}

export interface WebServer {
  server: Server;
  /** Where its files are (checked and bound at start). */
  storage: string;
  close(): Promise<void>;
}

/**
 * The web process: one node:http server, /api paths straight to the API door, pages to Next.js, whose
 * per-request routing costs more than a whole REST answer (BENCHMARKS.md).
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  env(); // a bad configuration stops the start before anything listens
  // So does a storage of another database (storage/binding.ts), before a request touches its files.
  await bindStorage(getDb(), getStorage());
  const server = createServer();
  const app = next({ dev: options.dev, dir: options.dir, port: options.port, httpServer: server });
  const handleNext = app.getRequestHandler();
  await app.prepare();

  server.on("request", createRequestListener(handleNext));
  server.on("clientError", answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    server,
    storage: getStorage().location,
    async close() {
      // Live streams end first; their connections go idle a moment later and are closed then.
      closeLiveStreams();
      await new Promise<void>((resolve) => {
        const idle = setInterval(() => server.closeIdleConnections(), 100);
        server.close(() => {
          clearInterval(idle);
          resolve();
        });
        server.closeIdleConnections();
      });
      await app.close();
      await closeDb();
    },
  };
}
