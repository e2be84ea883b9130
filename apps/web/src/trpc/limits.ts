/** Calls per tRPC batch: the server refuses more (400, none run); the dashboard's link splits to fit. */
export const TRPC_MAX_BATCH_SIZE = 10;
