import type { Executor } from "../db/client";
import { accountEvents } from "../db/schema";

export type AccountEventType =
  | "token.created"
  | "token.revoked"
  | "user.created"
  | "user.updated"
  | "user.deactivated"
  | "user.activated"
  | "user.password_changed"
  | "user.password_reset";

export interface AccountEvent {
  type: AccountEventType;
  /** Who did it; null for the CLI. */
  actorId: string | null;
  /** Whose account (a key's owner). */
  userId: string;
  tokenId?: string | null;
  /** What changed; never a secret or a password. */
  detail?: Record<string, unknown>;
}

/** Records a change to an account or key. Pass the transaction that makes the change, so both commit or neither. */
export async function recordAccountEvent(tx: Executor, event: AccountEvent): Promise<void> {
  await tx.insert(accountEvents).values({
    type: event.type,
    actorId: event.actorId,
    userId: event.userId,
    tokenId: event.tokenId ?? null,
    detail: event.detail ?? {},
  });
}
