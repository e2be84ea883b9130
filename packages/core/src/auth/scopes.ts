import { DomainError } from "../errors";

/**
 * What an API key may do (issue 18). A dashboard session may do everything its user may; a key only what its
 * scopes grant, on top of what its user may (a scope never widens a user's rights: a superuser's read-only key
 * still sees everyone's exports, but cannot cancel them).
 * - `exports:read`: every read of exports, their files and events, the resource lists, templates and webhooks.
 * - `exports:write`: every change: create, cancel, retry exports; create, change, delete, run templates and
 *   webhooks.
 */
export const SCOPES = ["exports:read", "exports:write"] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * What an operation needs of its caller. Each REST operation and tRPC procedure declares one (the doors check
 * it in one place: rest/http/handler.ts, trpc/init.ts):
 * - a scope: a key must hold it;
 * - `all-scopes`: a key must hold every scope (managing keys: a read-only key cannot mint a writing one);
 * - `session`: no key at all, only the dashboard's signed-in session (changing the password).
 */
export type Access = Scope | "all-scopes" | "session";

/** How the caller proved who they are: a session (everything) or a key (its scopes). */
export type Grant = { via: "session" } | { via: "token"; scopes: readonly string[] };

export const SESSION_ONLY = "Only a signed-in dashboard session can do this, not an API key.";
export const lacksScope = (scope: Scope) => `This key lacks the scope ${scope}.`;

export function isScope(value: unknown): value is Scope {
  return (SCOPES as readonly unknown[]).includes(value);
}

/** FORBIDDEN naming the scope the key lacks, unless the grant allows the access. */
export function assertAccess(grant: Grant, need: Access): void {
  if (grant.via === "session") return;
  if (need === "session") throw new DomainError("FORBIDDEN", SESSION_ONLY);
  const needed: readonly Scope[] = need === "all-scopes" ? SCOPES : [need];
  const missing = needed.find((scope) => !grant.scopes.includes(scope));
  if (missing) throw new DomainError("FORBIDDEN", lacksScope(missing));
}
