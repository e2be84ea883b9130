import { createCallerFactory, createTRPCRouter } from "./init";
import { accountRouter } from "./routers/account";
import { authRouter } from "./routers/auth";
import { exportsRouter } from "./routers/exports";
import { ordersRouter } from "./routers/orders";
import { passwordLinkRouter } from "./routers/password-link";
import { productsRouter } from "./routers/products";
import { resourcesRouter } from "./routers/resources";
import { templatesRouter } from "./routers/templates";
import { usersRouter } from "./routers/users";
import { webhooksRouter } from "./routers/webhooks";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  account: accountRouter,
  exports: exportsRouter,
  products: productsRouter,
  orders: ordersRouter,
  resources: resourcesRouter,
  webhooks: webhooksRouter,
  templates: templatesRouter,
  users: usersRouter,
  passwordLink: passwordLinkRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
