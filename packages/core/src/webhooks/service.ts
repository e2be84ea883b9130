import { randomBytes } from "node:crypto";
import { and, count, desc, eq, type SQL } from "drizzle-orm";
import type { Actor } from "../auth/actor";
import {
  type CreatedWebhookDto,
  createWebhookInput,
  MAX_WEBHOOKS_PER_USER,
  updateWebhookInput,
  WEBHOOK_TEST_EVENT,
  type WebhookDeliveryDto,
  type WebhookDto,
} from "../contract";
import type { Db } from "../db/client";
import { webhookDeliveries, webhookEndpoints } from "../db/schema";
import { env } from "../env";
import { conflict, FieldErrorCollector, invalid, notFound } from "../errors";
import { isUuid } from "../filters/values";
import { parseInput } from "../validation";
import { parseWebhookUrl, resolveWebhookHost, UnsafeUrlError } from "./address";
import { toCreatedWebhookDto, toDeliveryDto, toWebhookDto } from "./serialize";

/** Deliveries a listing shows: the newest. */
export const MAX_LISTED_DELIVERIES = 100;

export interface WebhookOptions {
  /** WEBHOOK_ALLOW_PRIVATE=1: loopback and private addresses allowed (tests, internal deployments). */
  allowPrivate?: boolean;
}

const allowPrivateOf = (options: WebhookOptions) =>
  options.allowPrivate ?? env().WEBHOOK_ALLOW_PRIVATE === "1";

/** `whsec_` + base64 of 32 random bytes: the Standard Webhooks secret format. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** The URL's scheme and every address of its host, checked; a refusal is a 400 on `url`. */
async function checkUrl(value: string, options: WebhookOptions): Promise<string> {
  try {
    const url = parseWebhookUrl(value);
    await resolveWebhookHost(url, allowPrivateOf(options));
    return url.href;
  } catch (err) {
    if (err instanceof UnsafeUrlError) throw invalid({ url: [err.message] });
    throw err;
  }
}

function checkScope(actor: Actor, scope: string | undefined, errors: FieldErrorCollector) {
  if (scope === "all" && !actor.isSuperuser) {
    errors.add("scope", "Only a superuser's endpoint may receive every user's events.");
  }
}

/** Visibility as for exports: a superuser sees every endpoint, others their own; anything else is 404. */
function visible(actor: Actor, id: string): SQL | undefined {
  return actor.isSuperuser
    ? eq(webhookEndpoints.id, id)
    : and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.ownerId, actor.id));
}

async function findEndpoint(db: Db, actor: Actor, id: string) {
  if (!isUuid(id)) throw notFound();
  const [row] = await db.select().from(webhookEndpoints).where(visible(actor, id));
  if (!row) throw notFound();
  return row;
}

export async function createWebhook(
  db: Db,
  actor: Actor,
  input: unknown,
  options: WebhookOptions = {},
): Promise<CreatedWebhookDto> {
  const data = parseInput(createWebhookInput, input);
  const errors = new FieldErrorCollector();
  checkScope(actor, data.scope, errors);
  errors.throwIfAny();
  const url = await checkUrl(data.url, options);
  const [{ n } = { n: 0 }] = await db
    .select({ n: count() })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.ownerId, actor.id));
  if (n >= MAX_WEBHOOKS_PER_USER) {
    throw invalid({ non_field_errors: [`A user may have at most ${MAX_WEBHOOKS_PER_USER} webhooks.`] });
  }
  const [row] = await db
    .insert(webhookEndpoints)
    .values({
      ownerId: actor.id,
      url,
      events: data.events,
      description: data.description,
      scope: data.scope,
      secret: newWebhookSecret(),
    })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return toCreatedWebhookDto(row);
}

export async function listWebhooks(db: Db, actor: Actor): Promise<WebhookDto[]> {
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(actor.isSuperuser ? undefined : eq(webhookEndpoints.ownerId, actor.id))
    .orderBy(desc(webhookEndpoints.createdDate), desc(webhookEndpoints.id));
  return rows.map(toWebhookDto);
}

export async function findWebhook(db: Db, actor: Actor, id: string): Promise<WebhookDto> {
  return toWebhookDto(await findEndpoint(db, actor, id));
}

export async function updateWebhook(
  db: Db,
  actor: Actor,
  id: string,
  input: unknown,
  options: WebhookOptions = {},
): Promise<WebhookDto> {
  const current = await findEndpoint(db, actor, id);
  const data = parseInput(updateWebhookInput, input);
  const errors = new FieldErrorCollector();
  // The scope is judged by the endpoint owner's rights, whoever edits it.
  checkScope(
    { ...actor, isSuperuser: actor.isSuperuser && current.ownerId === actor.id },
    data.scope,
    errors,
  );
  errors.throwIfAny();
  const url = data.url === undefined ? undefined : await checkUrl(data.url, options);
  const reactivated = data.is_active === true && !current.isActive;
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      ...(url === undefined ? {} : { url }),
      ...(data.events === undefined ? {} : { events: data.events }),
      ...(data.description === undefined ? {} : { description: data.description }),
      ...(data.scope === undefined ? {} : { scope: data.scope }),
      ...(data.is_active === undefined ? {} : { isActive: data.is_active }),
      // Turned on again by its owner: the 3-day failure count starts over.
      ...(reactivated ? { failingSince: null, disabledReason: null } : {}),
    })
    .where(eq(webhookEndpoints.id, current.id))
    .returning();
  if (!row) throw notFound();
  return toWebhookDto(row);
}

export async function deleteWebhook(db: Db, actor: Actor, id: string): Promise<void> {
  const row = await findEndpoint(db, actor, id);
  await db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, row.id));
}

/** Queues a `webhook.test` event for the endpoint; the worker delivers it like any other. */
export async function testWebhook(db: Db, actor: Actor, id: string): Promise<WebhookDeliveryDto> {
  const endpoint = await findEndpoint(db, actor, id);
  if (!endpoint.isActive) throw conflict("Webhook is not active.");
  const body = JSON.stringify({
    type: WEBHOOK_TEST_EVENT,
    timestamp: new Date().toISOString(),
    data: { webhook: endpoint.id },
  });
  const [row] = await db
    .insert(webhookDeliveries)
    .values({ endpointId: endpoint.id, eventType: WEBHOOK_TEST_EVENT, body })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return toDeliveryDto(row);
}

/** The endpoint's newest deliveries, newest first. */
export async function listWebhookDeliveries(db: Db, actor: Actor, id: string): Promise<WebhookDeliveryDto[]> {
  const endpoint = await findEndpoint(db, actor, id);
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, endpoint.id))
    .orderBy(desc(webhookDeliveries.createdDate), desc(webhookDeliveries.id))
    .limit(MAX_LISTED_DELIVERIES);
  return rows.map(toDeliveryDto);
}
