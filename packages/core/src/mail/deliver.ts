import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { emailDeliveries } from "../db/schema";

export type ClaimedEmail = {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  attempts: number;
};

/** Longer than an SMTP attempt may take (mailer.ts's timeouts), with room to record it. */
export const EMAIL_LEASE_MS = 90_000;

/**
 * Claims due emails (`FOR UPDATE SKIP LOCKED`: many workers, never the same one) and counts the attempt. The
 * claim is a lease: a worker killed mid-send leaves the email due again when the lease ends (at-least-once).
 */
export async function claimEmails(db: Db, owner: string, limit: number): Promise<ClaimedEmail[]> {
  const result = await db.execute<ClaimedEmail>(sql`
    with due as (
      select id from ${emailDeliveries}
      where status = 'pending' and next_attempt_at <= now()
      order by next_attempt_at
      limit ${limit}
      for update skip locked
    )
    update ${emailDeliveries} d
    set attempts = d.attempts + 1, lease_owner = ${owner}, last_attempt_at = now(),
        next_attempt_at = now() + ${EMAIL_LEASE_MS} * interval '1 millisecond'
    from due where d.id = due.id
    returning d.id, d.recipient, d.subject, d.body, d.attempts`);
  return result.rows;
}

/**
 * Records an attempt, if this worker still holds the email: sent; or retried after the schedule's next delay;
 * or failed (given up) when the schedule is spent. Returns the status recorded.
 */
export async function recordEmail(
  db: Db,
  owner: string,
  email: ClaimedEmail,
  error: string | null,
  retrySchedule: number[],
): Promise<"sent" | "pending" | "failed"> {
  const delay = retrySchedule[email.attempts - 1];
  const status = error === null ? "sent" : delay === undefined ? "failed" : "pending";
  const next =
    status === "pending"
      ? sql`now() + ${(delay ?? 0) * 1000} * interval '1 millisecond'`
      : sql`null::timestamptz`;
  await db.execute(sql`
    update ${emailDeliveries}
    set status = ${status}, last_error = ${error}, next_attempt_at = ${next}, lease_owner = null
    where id = ${email.id} and lease_owner = ${owner} and status = 'pending'`);
  return status;
}
