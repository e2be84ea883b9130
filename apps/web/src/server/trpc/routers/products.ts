import { resourceRouter } from "./resource";

export const productsRouter = resourceRouter("products");
