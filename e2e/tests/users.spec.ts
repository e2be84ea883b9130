import { expect, type Page, test } from "@playwright/test";
import { type CreatedUser, createUser } from "../support/cli";
import { signIn } from "../support/sign-in";

/**
 * Issue 18 from outside: a superuser's Users page creates a user with a password; that user signs in in a
 * second browser context; the superuser deactivates them, and their very next request is refused (401) and
 * the dashboard sends them to sign-in. Then a user created with a one-time set-password link sets a password
 * through the link (once) and signs in. A regular user has no Users link and the page refuses them.
 */
let root: CreatedUser;
let plain: CreatedUser;

test.beforeAll(() => {
  root = createUser("admin_root", true);
  plain = createUser("admin_plain");
});

const unique = (prefix: string) => `${prefix}_${process.pid}_${Date.now()}`;

async function openUsersPage(page: Page) {
  await signIn(page, root);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();
}

test("create a user with a password, they sign in elsewhere, deactivate them: their next request fails", async ({
  page,
  browser,
}) => {
  page.on("dialog", (dialog) => void dialog.accept());
  await openUsersPage(page);
  const username = unique("carol");
  const password = "a good long password";
  const form = page.getByTestId("create-user");
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Initial password (8 characters or more)").fill(password);
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(form.getByRole("status")).toHaveText(`Created ${username}.`);
  const row = page.locator(`tr[data-username="${username}"]`);
  await expect(row).toContainText("active");

  // The new user, in a browser of their own.
  const theirs = await browser.newContext();
  try {
    const them = await theirs.newPage();
    await signIn(them, { id: "", username, is_superuser: false, token: "", password });
    await expect(them.getByTestId("current-user")).toHaveText(username);
    expect((await them.request.get("/api/trpc/account.get")).status()).toBe(200);

    await row.getByRole("button", { name: "Deactivate" }).click();
    await expect(row).toContainText("deactivated");
    await expect(row.getByRole("button", { name: "Reactivate" })).toBeVisible();

    // The very next request of theirs: refused, and the dashboard sends them to sign in.
    const next = await them.request.get("/api/trpc/account.get");
    expect(next.status()).toBe(401);
    await them.reload();
    await expect(them).toHaveURL(/\/sign-in/);
    // Nor can they sign in again.
    await them.getByLabel("Username").fill(username);
    await them.getByLabel("Password").fill(password);
    await them.getByRole("button", { name: "Sign in" }).click();
    await expect(them.getByRole("alert").filter({ hasText: "incorrect" })).toBeVisible();
  } finally {
    await theirs.close();
  }
});

test("a one-time set-password link: shown once, sets the password once, then they sign in", async ({
  page,
  browser,
}) => {
  await openUsersPage(page);
  const username = unique("dora");
  const form = page.getByTestId("create-user");
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Give them a one-time link to set it").check();
  await form.getByRole("button", { name: "Add user" }).click();
  const shown = page.getByTestId("set-password-link");
  await expect(shown).toContainText(username);
  const url = (await shown.locator("code").textContent()) ?? "";
  expect(url).toMatch(/\/set-password\?token=[A-Za-z0-9_-]{43}$/);
  await expect(page.locator(`tr[data-username="${username}"]`)).toContainText("no password yet");

  const theirs = await browser.newContext();
  try {
    const them = await theirs.newPage();
    await them.goto(url);
    await expect(them.getByTestId("set-password-username")).toHaveText(username);
    await them.getByLabel("New password").fill("my own password");
    await them.getByLabel("Repeat it").fill("my own password");
    await them.getByRole("button", { name: "Set password" }).click();
    await expect(them.getByRole("status").filter({ hasText: "Your password is set" })).toBeVisible();
    // Once only.
    await them.goto(url);
    await expect(
      them.getByRole("alert").filter({ hasText: "invalid, was already used or has expired" }),
    ).toBeVisible();
    await signIn(them, { id: "", username, is_superuser: false, token: "", password: "my own password" });
  } finally {
    await theirs.close();
  }
});

test("a regular user has no Users link, and the page refuses them", async ({ page }) => {
  await signIn(page, plain);
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }),
  ).toHaveCount(0);
  await page.goto("/users");
  await expect(
    page.getByRole("alert").filter({ hasText: "Only superusers can manage users." }),
  ).toBeVisible();
  expect((await page.request.get("/api/trpc/users.list?input=%7B%7D")).status()).toBe(403);
});
