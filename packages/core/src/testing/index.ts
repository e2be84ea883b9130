export { createTestDatabase, type TestDatabase } from "./database";
export { seedProducts } from "../seed/products";
