import { DEFAULT_LIMIT, MAX_LIMIT } from "@exports/core";
import {
  type ComponentKind,
  type Components,
  type Json,
  METHODS,
  type Operation,
  type Route,
} from "../route";
import { ref, sharedComponents } from "./components";
import { GIVEN_FILTER_COMPONENTS, GIVEN_OPERATIONS, givenDocument } from "./given";

/**
 * The OpenAPI 3 document of every REST operation (`GET /api/v1/openapi.json`), produced from the routes, whose
 * operations carry their own descriptions; this adds what they share.
 */

const DESCRIPTION = `The asynchronous export service: create an export of a back-office list (products, orders) with its
filters, columns and format; workers collect it page by page; download the file when it is completed.

**Authentication** is \`Authorization: Token <key>\` (keys from \`POST /api/v1/tokens/\`, the dashboard's account
page, or \`pnpm cli users:create\` / \`tokens:create\`). A missing header answers 401 \`{"detail": "Authentication
credentials were not provided."}\`, an unknown or revoked key 401 \`{"detail": "Invalid token."}\`, an expired key
401 \`{"detail": "Token expired."}\`, each with \`WWW-Authenticate: Token\`. The download link also accepts the
dashboard's session cookie.

**Scopes.** A key holds \`exports:read\` (every read), \`exports:write\` (every change) or both; each operation's
\`x-required-access\` names what it needs (\`all-scopes\`: a key with both, for managing keys). A key without it
answers 403 \`{"detail": "This key lacks the scope exports:write."}\`.

**Errors** are always JSON: \`{"detail": "…"}\`, or \`{"field": ["message", …]}\` for validation errors. Any
operation may also answer 401 (not authenticated) and 503 (database unavailable, with \`Retry-After\`).

**The given operations** (retrieve, list, set_cancel) keep the response schemas they were given; the rest of
their description is what we serve. Where the given contract contradicts itself, these decisions stand:

- Ids are UUIDs (the given text typed the \`id\` path parameter integer). A path id that is not a UUID
  answers 404 \`{"detail": "Not found."}\`.
- \`status\` accepts every status of the record; \`pending\` stands for waiting, waiting_next_page, processing and
  preparing_file_creation. \`status__in=a,b\` takes several.
- \`format_type\` accepts csv, xls, json (and \`format_type__in\`); \`xml\` is no format we produce: 400.
- \`created_date\` also takes the lookups \`created_date__gt|gte|lt|lte\`, \`created_date__date\` (a UTC calendar
  day) and \`created_date__date__gt|gte|lt|lte\`.
- The list is a JSON array, newest first, paginated with \`limit\` (default ${DEFAULT_LIMIT}, max ${MAX_LIMIT}) and
  \`page\` (from 1), with \`X-Total-Count\` and an RFC 8288 \`Link\` header (first, prev, next, last);
  \`ordering=created_date\` or \`-created_date\` (default). Unknown parameters are ignored.
- A non-superuser sees only their own exports; another user's export is a 404. set_cancel is for superusers
  (403 for others, before the lookup); on a completed or failed export it answers 409.
- Paths answer with and without their trailing slash, never with a redirect.

**HTTP.** Every path that answers GET answers HEAD (the same headers, no body); \`Allow\` lists them. Retrieve and
downloads carry a strong \`ETag\`: \`If-None-Match\` answers 304. Downloads take one byte range
(\`Range: bytes=…\` → 206 with \`Content-Range\`, 416 when no byte of it exists; several ranges or a malformed
header: the whole file) and \`If-Range\`, so that a broken download resumes. Browser pages of the origins the
server lists in \`CORS_ORIGINS\` may call the REST API (CORS, without credentials: send the token header).`;

export type OpenApiDocument = Json & {
  openapi: string;
  paths: Record<string, Record<string, Json>>;
  components: Record<string, Record<string, unknown>>;
};

const KINDS: readonly ComponentKind[] = ["securitySchemes", "parameters", "schemas", "responses", "headers"];

/**
 * The given components of each kind, then the shared ones, then the routes' own. Each name is defined once;
 * only the given parameters we describe anew (the UUID id, the filters' choices) replace the given ones.
 */
function mergeComponents(
  given: Record<string, Json>,
  added: readonly Components[],
): OpenApiDocument["components"] {
  const replaceable = new Set<string>(["id_path", ...GIVEN_FILTER_COMPONENTS]);
  const out: OpenApiDocument["components"] = {};
  for (const kind of KINDS) {
    const merged: Json = { ...given[kind] };
    const ours = new Set<string>();
    for (const components of added) {
      for (const [name, value] of Object.entries(components[kind] ?? {})) {
        const givenOne = name in merged && !ours.has(name);
        if (ours.has(name) || (givenOne && !(kind === "parameters" && replaceable.has(name))))
          throw new Error(`component ${kind}/${name} is defined twice`);
        ours.add(name);
        merged[name] = value;
      }
    }
    out[kind] = merged;
  }
  return out;
}

/**
 * An operation's description with its declared access (issue 18): `x-required-access`, and the 403 a key
 * without it gets (unless the operation documents its own 403).
 */
function withAccess(operation: Operation): Json {
  const described = operation.openapi?.() ?? {};
  const access = operation.access;
  if (access === "public" || access === "procedures") return described;
  const responses = (described.responses ?? {}) as Json;
  return {
    ...described,
    "x-required-access": access,
    responses: "403" in responses ? responses : { ...responses, "403": ref("responses", "ScopeMissing") },
  };
}

/** The document of `routes`, paths in their order. */
export function buildOpenApiDocument(routes: readonly Route[]): OpenApiDocument {
  const given = givenDocument();
  const paths: OpenApiDocument["paths"] = {};
  const added: Components[] = [sharedComponents()];
  for (const route of routes) {
    for (const method of METHODS) {
      const operation = route.endpoint[method];
      if (!operation?.openapi) continue;
      paths[route.path] = { ...paths[route.path], [method.toLowerCase()]: withAccess(operation) };
      if (operation.components) added.push(operation.components());
    }
  }
  for (const [path, method] of GIVEN_OPERATIONS) {
    if (!paths[path]?.[method]) throw new Error(`no route describes the given ${method} ${path}`);
  }
  return {
    openapi: given.openapi,
    info: { title: "Exports API", version: "1.0.0", description: DESCRIPTION },
    // Relative: right wherever it is deployed.
    servers: [{ url: "/", description: "The server that serves this document." }],
    tags: [
      { name: "Exports", description: "Exports: the given contract (retrieve, list, set_cancel) and ours." },
      { name: "Templates", description: "Saved exports: run by hand or on a schedule (ours)." },
      { name: "Audit", description: "What happened to each export, by whom: its events (ours)." },
      { name: "Resources", description: "The exportable lists an export's `request_path` names." },
      {
        name: "Webhooks",
        description:
          "Signed (Standard Webhooks) notifications when an export completes, fails or is cancelled: endpoints and their deliveries.",
      },
      { name: "API keys", description: "The caller's own API keys: create, list, revoke (ours)." },
      { name: "Documentation", description: "This document." },
    ],
    security: given.security,
    components: mergeComponents(given.components, added),
    paths,
  };
}
