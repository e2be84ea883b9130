export { seedOrders } from "../seed/orders";
export { seedProducts } from "../seed/products";
export { createActor } from "./actors";
export { createTestDatabase, type TestDatabase } from "./database";
export { createTestExport, TEST_LIMITS } from "./limits";
