// The browser-safe contract: what the dashboard's pages and core share (enums, schemas, DTOs, cookie names,
// limits). Only zod may be imported here: no node:*, no drizzle, no pg (`@exports/core/contract`).
export * from "./audit";
export * from "./cookies";
export * from "./exports";
export * from "./limits";
export * from "./options";
export * from "./resources";
export * from "./retry";
export * from "./schemas";
export * from "./templates";
export * from "./webhooks";
