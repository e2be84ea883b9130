import { createHash, randomBytes } from "node:crypto";

/**
 * API keys are 40 hex characters (160 random bits), like DRF's tokens. Only their SHA-256 is stored: too much
 * entropy to guess from a hash, so a slow hash would only cost every request; lookup is by the hash's unique
 * index, so no key is compared character by character in our code.
 */
export function generateTokenKey(): string {
  return randomBytes(20).toString("hex");
}

export function hashTokenKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export type AuthHeader =
  | { kind: "none" }
  | { kind: "invalid"; detail: string }
  | { kind: "token"; key: string };

/** `Authorization: Token <key>`, read the way DRF's TokenAuthentication reads it. */
export function parseAuthorization(header: string | null | undefined): AuthHeader {
  if (!header) return { kind: "none" };
  const parts = header.trim().split(/\s+/);
  if (parts[0]?.toLowerCase() !== "token") return { kind: "none" };
  if (parts.length === 1)
    return { kind: "invalid", detail: "Invalid token header. No credentials provided." };
  if (parts.length > 2) {
    return { kind: "invalid", detail: "Invalid token header. Token string should not contain spaces." };
  }
  const key = parts[1] ?? "";
  // Not a key we could ever have issued (wrong length or characters): no need to ask the database.
  if (!/^[0-9a-f]{40}$/.test(key)) return { kind: "invalid", detail: "Invalid token." };
  return { kind: "token", key };
}
