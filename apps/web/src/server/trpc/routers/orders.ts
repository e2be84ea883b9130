import { resourceRouter } from "./resource";

export const ordersRouter = resourceRouter("orders");
