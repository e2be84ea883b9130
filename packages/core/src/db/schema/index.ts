export * from "./exports";
export * from "./installation";
export * from "./orders";
export * from "./products";
export * from "./sessions";
export * from "./templates";
export * from "./users";
export * from "./webhooks";
