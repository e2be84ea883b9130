export { seedOrders } from "../seed/orders";
export { seedProducts } from "../seed/products";
export { createTestDatabase, type TestDatabase } from "./database";
