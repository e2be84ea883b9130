import { ordersResource } from "./orders";
import { productsResource } from "./products";
import type { Resource } from "./types";

/** Every exportable resource. An export's `request_path` must name one of these paths. */
export const RESOURCES: readonly Resource[] = [productsResource, ordersResource];

export function resourceByKey(key: string): Resource | undefined {
  return RESOURCES.find((r) => r.key === key);
}

/** `/api/v1/products/` and `/api/v1/products` both name the products resource. */
export function resourceByPath(pathname: string): Resource | undefined {
  const withSlash = pathname.endsWith("/") ? pathname : `${pathname}/`;
  return RESOURCES.find((r) => r.path === withSlash);
}
