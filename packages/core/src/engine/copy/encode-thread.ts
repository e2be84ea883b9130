import { parentPort } from "node:worker_threads";
import { serveEncoding } from "./thread-encoder";

/** An encoding thread's entry (`threads.ts` starts it; the worker's bundle builds it as `encode-thread.mjs`). */
if (!parentPort) throw new Error("encode-thread runs as a worker thread");
serveEncoding(parentPort);
