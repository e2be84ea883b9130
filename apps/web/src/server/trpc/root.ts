import { createCallerFactory, createTRPCRouter } from "./init";
import { exportsRouter } from "./routers/exports";
import { ordersRouter } from "./routers/orders";
import { productsRouter } from "./routers/products";

export const appRouter = createTRPCRouter({
  exports: exportsRouter,
  products: productsRouter,
  orders: ordersRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
