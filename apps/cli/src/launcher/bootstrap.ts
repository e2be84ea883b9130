import { randomBytes } from "node:crypto";
import { countUsers, createDatabase, createUser, isDomainError } from "@exports/core";
import { seedDemoDataIfEmpty } from "@exports/core/node";

export const DEMO_USERNAME = "admin";

export interface DemoUser {
  username: string;
  password: string;
  token: string;
}

/**
 * On a database without users, creates the superuser `admin` with a random password and a first API token.
 * Returns null when there already are users (including when another launcher created `admin` meanwhile).
 */
export async function bootstrapDemoUser(url: string): Promise<DemoUser | null> {
  const database = createDatabase(url, { max: 1, name: "exports-launcher" });
  try {
    if ((await countUsers(database.db)) > 0) return null;
    const password = randomBytes(12).toString("base64url");
    try {
      const user = await createUser(database.db, { username: DEMO_USERNAME, password, isSuperuser: true });
      return { username: user.username, password, token: user.token };
    } catch (err) {
      if (isDomainError(err) && err.fields?.username) return null;
      throw err;
    }
  } finally {
    await database.close();
  }
}

/** The sign-in instructions, framed so they stand out of the log. Shown once: the password is not stored. */
export function demoUserBox(user: DemoUser, baseUrl: string): string {
  const lines = [
    `First start: created the superuser "${user.username}".`,
    "",
    `  Dashboard   ${baseUrl}/`,
    `  Username    ${user.username}`,
    `  Password    ${user.password}`,
    `  API token   ${user.token}`,
    "",
    "  Try the API:",
    `    curl -H "Authorization: Token ${user.token}" \\`,
    `         ${baseUrl}/api/v1/exports/`,
    "",
    "These are shown only this once: keep them. More tokens:",
    `  pnpm cli tokens:create --username ${user.username}`,
    "(BOOTSTRAP_DEMO_USER=0 skips creating this user.)",
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const rule = "─".repeat(width + 2);
  return [`┌${rule}┐`, ...lines.map((l) => `│ ${l.padEnd(width)} │`), `└${rule}┘`].join("\n");
}

/**
 * First start (no users, products or orders): seeds the demo set, so the lists and an export work at once.
 * Returns the start banner's line, or null when the database was not empty.
 */
export async function bootstrapDemoData(url: string): Promise<string | null> {
  const database = createDatabase(url, { max: 1, name: "exports-launcher" });
  try {
    const seeded = await seedDemoDataIfEmpty(database.db);
    if (!seeded) return null;
    const n = (v: number) => v.toLocaleString("en-US");
    return `[launcher] empty database: seeded a demo set of ${n(seeded.products)} products and ${n(seeded.orders)} orders (BOOTSTRAP_DEMO_DATA=0 skips it)`;
  } finally {
    await database.close();
  }
}
