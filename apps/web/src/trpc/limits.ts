/** Calls per tRPC batch: the server refuses more (400, none run); the dashboard's link splits to fit. */
export const TRPC_MAX_BATCH_SIZE = 10;

/** The live stream's keep-alive ping (server) and, three times that without a word, the client reconnects. */
export const LIVE_PING_MS = 10_000;

/** Open live streams per user in one web process; more are refused (429) and those pages poll instead. */
export const LIVE_STREAMS_PER_USER = 8;
