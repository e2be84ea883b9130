import { API_KEY_NAME_MAX, createApiKey, listApiKeys, revokeApiKey, SCOPES } from "@exports/core";
import { readJsonObject } from "../http/body";
import { authed } from "../http/handler";
import { json } from "../http/respond";
import { COMMON_RESPONSES, detailResponse, jsonContent, ref } from "../openapi/components";
import { type Json, route } from "../route";

/**
 * The caller's own API keys (issue 18). A key may manage keys only if it holds every scope (a read-only key
 * cannot mint a writing one); the dashboard does it with its session, over tRPC (account.tokens.*). Everyone
 * manages their own keys only, superusers too: another user's key is a 404.
 */
const COLLECTION = "/api/v1/tokens/";
const ITEM = "/api/v1/tokens/{id}/";
const tags = ["API keys"];

const keyProperties = (): Json => ({
  id: { type: "string", format: "uuid" },
  name: { type: "string", maxLength: API_KEY_NAME_MAX, description: "What the key is for." },
  scopes: {
    type: "array",
    items: { type: "string", enum: [...SCOPES] },
    description: "`exports:read`: every read; `exports:write`: every change (README, API keys).",
  },
  expires_at: {
    type: "string",
    format: "date-time",
    nullable: true,
    description: "After this the key is 401 `Token expired.`; null: never.",
  },
  created_date: { type: "string", format: "date-time" },
  last_used_at: {
    type: "string",
    format: "date-time",
    nullable: true,
    description: "When the key last authenticated a request (moved at most once a minute); null: never used.",
  },
  key_prefix: { type: "string", description: "The key's first 8 characters, to tell keys apart." },
});

const components = () => {
  const properties = keyProperties();
  const required = Object.keys(properties);
  return {
    schemas: {
      ApiKey: { type: "object", description: "An API key, without its secret.", properties, required },
      ApiKeyCreated: {
        type: "object",
        description: "A new API key with its secret `token`, shown only in this answer.",
        properties: {
          ...properties,
          token: {
            type: "string",
            description: "The key: send `Authorization: Token <token>`. Only its hash is stored.",
          },
        },
        required: [...required, "token"],
      },
      ApiKeyCreate: {
        type: "object",
        properties: {
          name: { type: "string", minLength: 1, maxLength: API_KEY_NAME_MAX },
          scopes: {
            type: "array",
            minItems: 1,
            items: { type: "string", enum: [...SCOPES] },
            default: [...SCOPES],
          },
          expires_at: {
            type: "string",
            format: "date-time",
            nullable: true,
            default: null,
            description: "ISO 8601 with an offset, in the future; null (the default): never expires.",
          },
        },
        required: ["name"],
        additionalProperties: false,
      },
    },
    responses: {
      ApiKeyNotFound: detailResponse("No key of the caller's has this id.", "Not found."),
      TooManyKeyCreations: detailResponse(
        "Too many keys created lately; try again after `Retry-After` seconds.",
        "Too many API keys created. Try again in 42 seconds.",
        { "Retry-After": ref("headers", "Retry-After") },
      ),
    },
  };
};

export const tokensRoute = route(COLLECTION, {
  GET: {
    access: "all-scopes",
    handle: authed(async ({ db, actor }) => json(await listApiKeys(db, actor))),
    openapi: () => ({
      operationId: "tokens_list",
      summary: "List your API keys",
      description:
        "The caller's own keys (a superuser's too: only their own), newest first, without their secrets. Needs a key with every scope.",
      tags,
      responses: {
        "200": {
          description: "The keys.",
          content: jsonContent({ type: "array", items: ref("schemas", "ApiKey") }),
        },
        ...COMMON_RESPONSES,
      },
    }),
    components,
  },
  POST: {
    access: "all-scopes",
    handle: authed(async ({ db, actor, req }) =>
      json(await createApiKey(db, actor, await readJsonObject(req)), 201),
    ),
    openapi: () => ({
      operationId: "tokens_create",
      summary: "Create an API key",
      description:
        "A new key of the caller's, with a name, scopes (default: both) and an optional expiry (in the future, else 400). The answer is the only one that shows the key (`token`). Throttled per user (API_KEY_CREATIONS_PER_USER per LOGIN_THROTTLE_WINDOW_SECONDS: 429 with Retry-After). Needs a key with every scope.",
      tags,
      requestBody: { required: true, content: jsonContent(ref("schemas", "ApiKeyCreate")) },
      responses: {
        "201": {
          description: "The key, with its secret (shown only here).",
          content: jsonContent(ref("schemas", "ApiKeyCreated")),
        },
        "400": ref("responses", "BadRequest"),
        ...COMMON_RESPONSES,
        "415": ref("responses", "UnsupportedMediaType"),
        "429": ref("responses", "TooManyKeyCreations"),
      },
    }),
  },
});

export const tokenRoute = route(ITEM, {
  DELETE: {
    access: "all-scopes",
    handle: authed<"id">(async ({ db, actor, params }) => {
      await revokeApiKey(db, actor, params.id);
      return new Response(null, { status: 204 });
    }),
    openapi: () => ({
      operationId: "tokens_destroy",
      summary: "Revoke an API key",
      description:
        "Revokes one of the caller's keys at once: its very next request is 401. Another user's key (a superuser's too) is a 404. Needs a key with every scope; a key may revoke itself.",
      tags,
      parameters: [
        {
          name: "id",
          in: "path",
          required: true,
          description: "The key's id.",
          schema: { type: "string", format: "uuid" },
        },
      ],
      responses: {
        "204": { description: "Revoked." },
        "404": ref("responses", "ApiKeyNotFound"),
        ...COMMON_RESPONSES,
      },
    }),
  },
});
