/**
 * Calls one tRPC batch request may carry: the server refuses a larger batch (400, none run), and the
 * dashboard's batch link splits its calls to fit. Browser-safe (the client imports it).
 */
export const TRPC_MAX_BATCH_SIZE = 10;
