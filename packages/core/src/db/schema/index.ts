export * from "./exports";
export * from "./orders";
export * from "./products";
export * from "./sessions";
export * from "./users";
