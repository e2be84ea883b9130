import {
  createWebhook,
  deleteWebhook,
  findWebhook,
  listWebhookDeliveries,
  listWebhooks,
  testWebhook,
  updateWebhook,
} from "@exports/core";
import { readJsonObject } from "../http/body";
import { authed } from "../http/handler";
import { json } from "../http/respond";
import { COMMON_RESPONSES, jsonContent, ref } from "../openapi/components";
import { deliveriesResponse, webhookComponents, webhookResponse } from "../openapi/webhooks";
import { route } from "../route";

const COLLECTION = "/api/v1/webhooks/";
const ITEM = "/api/v1/webhooks/{id}/";

const tags = ["Webhooks"];
const idParameter = [ref("parameters", "webhook_id_path")];
const notFound = { "404": ref("responses", "WebhookNotFound") };
const jsonBody = (schema: string) => ({ required: true, content: jsonContent(ref("schemas", schema)) });

export const webhooksRoute = route(COLLECTION, {
  GET: {
    access: "exports:read",
    handle: authed(async ({ db, actor }) => json(await listWebhooks(db, actor))),
    openapi: () => ({
      operationId: "webhooks_list",
      summary: "List webhook endpoints",
      description:
        "The caller's endpoints (a superuser's: everyone's), newest first. Secrets are never listed.",
      tags,
      responses: {
        "200": {
          description: "The endpoints.",
          content: jsonContent({ type: "array", items: ref("schemas", "Webhook") }),
        },
        ...COMMON_RESPONSES,
      },
    }),
  },
  POST: {
    access: "exports:write",
    handle: authed(async ({ db, actor, req }) =>
      json(await createWebhook(db, actor, await readJsonObject(req)), 201),
    ),
    openapi: () => ({
      operationId: "webhooks_create",
      summary: "Create a webhook endpoint",
      description:
        "Registers a URL to be told, by a signed POST (Standard Webhooks), when one of the caller's exports reaches one of `events` (a superuser's `scope: all` endpoint hears of every user's). The answer is the only one that shows the signing `secret`. The URL's host is resolved: any loopback, private, link-local, multicast, CGNAT or otherwise non-public address is a 400 (checked again before every delivery).",
      tags,
      requestBody: jsonBody("WebhookCreate"),
      responses: {
        "201": {
          description: "The endpoint, with its secret (shown only here).",
          content: jsonContent(ref("schemas", "WebhookCreated")),
        },
        "400": ref("responses", "BadRequest"),
        ...COMMON_RESPONSES,
        "415": ref("responses", "UnsupportedMediaType"),
      },
    }),
    components: webhookComponents,
  },
});

export const webhookRoute = route(ITEM, {
  GET: {
    access: "exports:read",
    handle: authed<"id">(async ({ db, actor, params }) => json(await findWebhook(db, actor, params.id))),
    openapi: () => ({
      operationId: "webhooks_retrieve",
      summary: "Retrieve a webhook endpoint",
      description:
        "An endpoint of the caller's (a superuser: anyone's). `disabled_reason` says why delivery deactivated it.",
      tags,
      parameters: idParameter,
      responses: { "200": webhookResponse("The endpoint."), ...notFound, ...COMMON_RESPONSES },
    }),
  },
  PATCH: {
    access: "exports:write",
    handle: authed<"id">(async ({ db, actor, params, req }) =>
      json(await updateWebhook(db, actor, params.id, await readJsonObject(req))),
    ),
    openapi: () => ({
      operationId: "webhooks_partial_update",
      summary: "Change a webhook endpoint",
      description:
        "Changes the URL (checked as at creation), events, description, scope, or `is_active` (false: deliveries wait; true: they resume).",
      tags,
      parameters: idParameter,
      requestBody: jsonBody("WebhookUpdate"),
      responses: {
        "200": webhookResponse("The endpoint, changed."),
        "400": ref("responses", "BadRequest"),
        ...notFound,
        ...COMMON_RESPONSES,
        "415": ref("responses", "UnsupportedMediaType"),
      },
    }),
  },
  DELETE: {
    access: "exports:write",
    handle: authed<"id">(async ({ db, actor, params }) => {
      await deleteWebhook(db, actor, params.id);
      return new Response(null, { status: 204 });
    }),
    openapi: () => ({
      operationId: "webhooks_destroy",
      summary: "Delete a webhook endpoint",
      description: "Deletes the endpoint and its delivery log; pending deliveries are dropped.",
      tags,
      parameters: idParameter,
      responses: { "204": { description: "Deleted." }, ...notFound, ...COMMON_RESPONSES },
    }),
  },
});

export const webhookTestRoute = route("/api/v1/webhooks/{id}/test/", {
  POST: {
    access: "exports:write",
    handle: authed<"id">(async ({ db, actor, params }) => json(await testWebhook(db, actor, params.id), 202)),
    openapi: () => ({
      operationId: "webhooks_test",
      summary: "Send a test event",
      description:
        'Queues a `webhook.test` event (`data`: `{"webhook": "<id>"}`) for the endpoint; a worker delivers it like any other, with retries. No body.',
      tags,
      parameters: idParameter,
      responses: {
        "202": {
          description: "The delivery, queued.",
          content: jsonContent(ref("schemas", "WebhookDelivery")),
        },
        ...notFound,
        "409": ref("responses", "Conflict"),
        ...COMMON_RESPONSES,
      },
    }),
  },
});

export const webhookDeliveriesRoute = route("/api/v1/webhooks/{id}/deliveries/", {
  GET: {
    access: "exports:read",
    handle: authed<"id">(async ({ db, actor, params }) =>
      json(await listWebhookDeliveries(db, actor, params.id)),
    ),
    openapi: () => ({
      operationId: "webhooks_deliveries",
      summary: "List an endpoint's deliveries",
      description:
        "Each event sent (or to be sent) to the endpoint: type, export, status (pending, succeeded, failed), attempts, the last answer's status code or error, and when the next attempt is due.",
      tags,
      parameters: idParameter,
      responses: { "200": deliveriesResponse(), ...notFound, ...COMMON_RESPONSES },
    }),
  },
});

export const webhookRoutes = [webhooksRoute, webhookRoute, webhookTestRoute, webhookDeliveriesRoute];
