import { buildOpenApiDocument, type OpenApiDocument } from "../openapi/document";
import type { Route } from "../route";
import { downloadRoute } from "./download";
import { exportRoute } from "./export";
import { exportsRoute } from "./exports";
import { openApiRoute } from "./openapi";
import { resourceRoutes } from "./resources";
import { setCancelRoute } from "./set-cancel";
import { trpcRoute } from "./trpc";

/**
 * Every API path, in the order the OpenAPI document lists them (no two match the same path). Any other path
 * under /api is a JSON 404. A new endpoint is a route (handler and description) in its resource's module.
 */
export const API_ROUTES: readonly Route[] = [
  exportRoute,
  exportsRoute,
  setCancelRoute,
  downloadRoute,
  ...resourceRoutes,
  openApiRoute(() => openApiDocument()),
  trpcRoute,
];

let document: OpenApiDocument | undefined;

/** The OpenAPI document of the routes (built once per process: it depends only on code). */
export function openApiDocument(): OpenApiDocument {
  document ??= buildOpenApiDocument(API_ROUTES);
  return document;
}
