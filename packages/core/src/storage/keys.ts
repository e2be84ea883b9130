import path from "node:path";

/** A key names an object below the storage's root and nothing else (no absolute path, no `..`, no NUL). */
export function safeKey(key: string): string {
  const normal = path.posix.normalize(key);
  if (normal.startsWith("/") || normal.startsWith("..") || normal.includes("\0") || normal !== key) {
    throw new Error(`invalid storage key: ${key}`);
  }
  return normal;
}
