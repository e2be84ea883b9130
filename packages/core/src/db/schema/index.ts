export * from "./exports";
export * from "./products";
export * from "./users";
