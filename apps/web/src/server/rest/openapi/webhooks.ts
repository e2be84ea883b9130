import {
  createdWebhookSchema,
  createWebhookInput,
  MAX_LISTED_DELIVERIES,
  updateWebhookInput,
  webhookDeliverySchema,
  webhookSchema,
} from "@exports/core";
import { z } from "zod";
import type { Components, Json } from "../route";
import { detailResponse, jsonContent, ref } from "./components";

/** A zod schema in OpenAPI 3.0's dialect: the one core parses with (input side) or answers with (output side). */
function schemaOf(schema: z.ZodType, io: "input" | "output", description: string): Json {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { target: "openapi-3.0", io });
  return { ...json, description };
}

/** The components of the webhook routes (defined once, with the collection's operations). */
export function webhookComponents(): Components {
  return {
    parameters: {
      webhook_id_path: {
        name: "id",
        in: "path",
        required: true,
        description:
          "The webhook endpoint's id: a UUID (anything else, or another user's endpoint, is a 404).",
        schema: { type: "string", format: "uuid" },
      },
    },
    schemas: {
      WebhookCreate: schemaOf(
        createWebhookInput,
        "input",
        "An endpoint to create. `url`: http(s) only, whose host resolves to public addresses only (no loopback, private, link-local, multicast, CGNAT…). `scope`: `own` (the caller's exports) or, for superusers, `all`.",
      ),
      WebhookUpdate: schemaOf(
        updateWebhookInput,
        "input",
        "Fields to change; `is_active: true` reactivates an endpoint (its failure streak starts over).",
      ),
      Webhook: schemaOf(webhookSchema, "output", "A webhook endpoint (its secret is never shown again)."),
      WebhookCreated: schemaOf(
        createdWebhookSchema,
        "output",
        "The endpoint just created, with its signing `secret` (`whsec_…`): shown only in this answer.",
      ),
      WebhookDelivery: schemaOf(
        webhookDeliverySchema,
        "output",
        "One event for one endpoint; its `id` is the `webhook-id` header of every attempt.",
      ),
    },
    responses: {
      WebhookNotFound: detailResponse("No such endpoint, or not the caller's.", "Not found."),
    },
  };
}

export const webhookResponse = (description: string) => ({
  description,
  content: jsonContent(ref("schemas", "Webhook")),
});

export const deliveriesResponse = () => ({
  description: `The endpoint's newest deliveries (at most ${MAX_LISTED_DELIVERIES}), newest first.`,
  content: jsonContent({ type: "array", items: ref("schemas", "WebhookDelivery") }),
});
