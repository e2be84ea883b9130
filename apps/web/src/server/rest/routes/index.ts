import { buildOpenApiDocument, type OpenApiDocument } from "../openapi/document";
import type { Route } from "../route";
import { downloadRoute } from "./download";
import { auditEventsRoute, exportEventsRoute } from "./events";
import { exportRoute } from "./export";
import { exportsRoute } from "./exports";
import { openApiRoute } from "./openapi";
import { resourceRoutes } from "./resources";
import { retryRoute } from "./retry";
import { setCancelRoute } from "./set-cancel";
import { templateRoute, templateRunRoute, templatesRoute } from "./templates";
import { tokenRoute, tokensRoute } from "./tokens";
import { trpcRoute } from "./trpc";
import { userRoutes } from "./users";
import { webhookRoutes } from "./webhooks";

/**
 * Every API path, in the document's order (no two match one path); any other /api path is a JSON 404. A new
 * endpoint is a route, handler and description, in its resource's module, each operation with its declared
 * `access` (route.ts; test/scopes.test.ts walks them all).
 */
export const API_ROUTES: readonly Route[] = [
  exportRoute,
  exportsRoute,
  setCancelRoute,
  downloadRoute,
  retryRoute,
  exportEventsRoute,
  auditEventsRoute,
  ...resourceRoutes,
  ...webhookRoutes,
  templatesRoute,
  templateRoute,
  templateRunRoute,
  ...userRoutes,
  tokensRoute,
  tokenRoute,
  openApiRoute(() => openApiDocument()),
  trpcRoute,
];

let document: OpenApiDocument | undefined;

/** The routes' OpenAPI document, built once (it depends only on code). */
export function openApiDocument(): OpenApiDocument {
  document ??= buildOpenApiDocument(API_ROUTES);
  return document;
}
