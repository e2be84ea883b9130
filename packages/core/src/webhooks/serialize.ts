import type { CreatedWebhookDto, WebhookDeliveryDto, WebhookDeliveryStatus, WebhookDto } from "../contract";
import type { WebhookDeliveryRow, WebhookEndpointRow } from "../db/schema";

const iso = (t: Date | null) => (t === null ? null : t.toISOString());

/** An endpoint as both doors show it: never its secret. */
export function toWebhookDto(row: WebhookEndpointRow): WebhookDto {
  return {
    id: row.id,
    url: row.url,
    events: row.events as WebhookDto["events"],
    description: row.description,
    scope: row.scope as WebhookDto["scope"],
    owner: row.ownerId,
    is_active: row.isActive,
    disabled_reason: row.disabledReason,
    created_date: row.createdDate.toISOString(),
    modified_date: row.modifiedDate.toISOString(),
  };
}

/** The create's answer, the only place the secret is shown. */
export function toCreatedWebhookDto(row: WebhookEndpointRow): CreatedWebhookDto {
  return { ...toWebhookDto(row), secret: row.secret };
}

export function toDeliveryDto(row: WebhookDeliveryRow): WebhookDeliveryDto {
  return {
    id: row.id,
    event_type: row.eventType,
    export_id: row.exportId,
    status: row.status as WebhookDeliveryStatus,
    attempts: row.attempts,
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    last_attempt_at: iso(row.lastAttemptAt),
    next_attempt_at: iso(row.nextAttemptAt),
    created_date: row.createdDate.toISOString(),
  };
}
