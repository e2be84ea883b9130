import { expect, type Page, test } from "@playwright/test";
import { type CreatedUser, createUser } from "../support/cli";
import { signIn } from "../support/sign-in";

/**
 * Issue 18 from outside: the Account page creates an API key (shown once, with a copy button), the key works
 * with fetch as a REST client would send it, only within its scopes, and once revoked on the page its very next
 * request is 401. Changing the password ends the user's other sessions and keeps this one.
 */
let alice: CreatedUser;

test.beforeAll(() => {
  alice = createUser("keys_alice");
});

/** A REST call from the page, with the key in the header (as curl would send it). */
async function restCall(page: Page, key: string, method: string, path: string, body?: unknown) {
  return page.evaluate(
    async ({ key, method, path, body }) => {
      const res = await fetch(path, {
        method,
        headers: { Authorization: `Token ${key}`, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
      });
      return {
        status: res.status,
        body: (await res.json()) as unknown,
        auth: res.headers.get("www-authenticate"),
      };
    },
    { key, method, path, body },
  );
}

test("the Account page: create a read-only key, use it, revoke it, see 401", async ({ page }) => {
  await signIn(page, alice);
  await page.goto("/account");
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();

  await page.getByTestId("key-name").fill("e2e reader");
  await page.getByTestId("key-scope-exports:write").uncheck();
  await page.getByTestId("key-expiry").selectOption("7");
  await page.getByRole("button", { name: "Create key" }).click();

  const shown = page.getByTestId("key-created");
  await expect(shown).toContainText("only now");
  await expect(shown.getByRole("button", { name: "Copy key" })).toBeVisible();
  const key = (await page.getByTestId("key-secret").textContent())?.trim() ?? "";
  expect(key).toMatch(/^[0-9a-f]{40}$/);

  const row = page.getByTestId("key-row").filter({ hasText: "e2e reader" });
  await expect(row).toContainText(key.slice(0, 8));
  await expect(row).toContainText("exports:read");
  await expect(row).not.toContainText("exports:write");
  await expect(row).toContainText("Never"); // not used yet
  await expect(page.getByTestId("key-table")).not.toContainText(key);

  const list = await restCall(page, key, "GET", "/api/v1/exports/");
  expect(list.status).toBe(200);
  const write = await restCall(page, key, "POST", "/api/v1/exports/", { request_path: "/api/v1/products/" });
  expect([write.status, write.body]).toEqual([403, { detail: "This key lacks the scope exports:write." }]);

  // Once used, the list says when (reload: the page reads the list afresh).
  await page.reload();
  await expect(page.getByTestId("key-row").filter({ hasText: "e2e reader" })).not.toContainText(/Never\s*$/);

  page.once("dialog", (dialog) => void dialog.accept());
  await page
    .getByTestId("key-row")
    .filter({ hasText: "e2e reader" })
    .getByRole("button", { name: "Revoke" })
    .click();
  await expect(page.getByTestId("key-row").filter({ hasText: "e2e reader" })).toHaveCount(0);

  const after = await restCall(page, key, "GET", "/api/v1/exports/");
  expect([after.status, after.body, after.auth]).toEqual([401, { detail: "Invalid token." }, "Token"]);
});

test("changing the password ends the other sessions and keeps this one", async ({ browser }) => {
  const bob = createUser("keys_bob");
  const here = await browser.newContext();
  const there = await browser.newContext();
  try {
    const herePage = await here.newPage();
    const therePage = await there.newPage();
    await signIn(herePage, bob);
    await signIn(therePage, bob);
    await herePage.goto("/account");
    await herePage.getByLabel("Current password").fill("wrong password");
    await herePage.getByLabel("New password", { exact: true }).fill("a new long password");
    await herePage.getByRole("button", { name: "Change password" }).click();
    await expect(herePage.getByRole("alert").filter({ hasText: "Password not changed" })).toContainText(
      "current password is not correct",
    );

    await herePage.getByLabel("Current password").fill(bob.password);
    await herePage.getByLabel("New password", { exact: true }).fill("a new long password");
    await herePage.getByRole("button", { name: "Change password" }).click();
    await expect(herePage.getByRole("status").filter({ hasText: "Password changed" })).toContainText(
      "1 other session ended",
    );
    // This session goes on; the other one is signed out.
    await herePage.goto("/account");
    await expect(herePage.getByRole("heading", { name: "API keys" })).toBeVisible();
    await therePage.goto("/account");
    await expect(therePage).toHaveURL(/\/sign-in/);
  } finally {
    await here.close();
    await there.close();
  }
});
