import { loadProcessEnv } from "@exports/core/node";

/** Core's validated environment with absolute DATA_DIR and STORAGE_DIR (see loadProcessEnv). */
export const loadEnv = loadProcessEnv;

/** A connection string fit for logs: the password is masked. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable database URL)";
  }
}
