import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { webhookDeliveries, webhookEndpoints } from "../db/schema";
import { type SendResult, sendWebhook } from "./send";

/** An endpoint whose every attempt failed for this long is deactivated (issue 16). */
export const DISABLE_AFTER_MS = 3 * 86_400_000;

export interface DeliveryConfig {
  /** Seconds before each retry; after the last, the delivery is failed. */
  retrySchedule: number[];
  timeoutMs: number;
  allowPrivate: boolean;
}

export type ClaimedDelivery = {
  id: string;
  body: string;
  attempts: number;
  url: string;
  secret: string;
};

/**
 * Claims due deliveries of active endpoints (`FOR UPDATE SKIP LOCKED`: many workers, never the same one) and
 * counts the attempt. The claim is a lease: `next_attempt_at` moves past the attempt's timeout, so a worker
 * killed mid-attempt loses nothing — the delivery is due again when the lease ends (at-least-once).
 */
export async function claimDeliveries(
  db: Db,
  owner: string,
  limit: number,
  config: DeliveryConfig,
): Promise<ClaimedDelivery[]> {
  // Past the attempt's timeout with room to record it; a dead worker's attempt is retried after it.
  const leaseMs = config.timeoutMs + 5000;
  const result = await db.execute<ClaimedDelivery>(sql`
    with due as (
      select d.id from ${webhookDeliveries} d join ${webhookEndpoints} w on w.id = d.endpoint_id
      where d.status = 'pending' and d.next_attempt_at <= now() and w.is_active
      order by d.next_attempt_at
      limit ${limit}
      for update of d skip locked
    )
    update ${webhookDeliveries} d
    set attempts = d.attempts + 1, lease_owner = ${owner}, last_attempt_at = now(),
        next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
    from due, ${webhookEndpoints} w
    where d.id = due.id and w.id = d.endpoint_id
    returning d.id, d.body, d.attempts, w.url, w.secret`);
  return result.rows;
}

/**
 * Records an attempt, if the worker still holds the delivery: succeeded; or retried after the schedule's next
 * delay; or failed when the schedule is spent. The endpoint's failure streak is kept in the same statement: a
 * success ends it, and a streak older than 3 days deactivates the endpoint (its owner sees why).
 */
export async function recordAttempt(
  db: Db,
  owner: string,
  delivery: ClaimedDelivery,
  result: SendResult,
  config: DeliveryConfig,
): Promise<void> {
  const delay = config.retrySchedule[delivery.attempts - 1];
  const status = result.ok ? "succeeded" : delay === undefined ? "failed" : "pending";
  const next =
    status === "pending"
      ? sql`now() + ${(delay ?? 0) * 1000} * interval '1 millisecond'`
      : sql`null::timestamptz`;
  await db.execute(sql`
    with recorded as (
      update ${webhookDeliveries}
      set status = ${status}, last_status_code = ${result.statusCode}, last_error = ${result.error},
          next_attempt_at = ${next}, lease_owner = null
      where id = ${delivery.id} and lease_owner = ${owner} and status = 'pending'
      returning endpoint_id
    )
    update ${webhookEndpoints} w
    set failing_since = case when ${result.ok}::boolean then null else coalesce(w.failing_since, now()) end,
        is_active = case
          when not ${result.ok}::boolean and w.failing_since < now() - ${DISABLE_AFTER_MS} * interval '1 millisecond'
          then false else w.is_active end,
        disabled_reason = case
          when not ${result.ok}::boolean and w.failing_since < now() - ${DISABLE_AFTER_MS} * interval '1 millisecond'
          then 'Deactivated: every delivery failed for 3 days (since ' || to_char(w.failing_since at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC).'
          else w.disabled_reason end
    from recorded where w.id = recorded.endpoint_id`);
}

/** Claims, sends and records one delivery's attempt. */
export async function attemptDelivery(
  db: Db,
  owner: string,
  delivery: ClaimedDelivery,
  config: DeliveryConfig,
): Promise<SendResult> {
  const result = await sendWebhook({
    url: delivery.url,
    secret: delivery.secret,
    id: delivery.id,
    body: delivery.body,
    timeoutMs: config.timeoutMs,
    allowPrivate: config.allowPrivate,
  });
  await recordAttempt(db, owner, delivery, result, config);
  return result;
}
