import { expect, type Page } from "@playwright/test";
import type { CreatedUser } from "./cli";

/** Signs in through the sign-in page (on `origin`, default the base URL) and waits for the exports list. */
export async function signIn(page: Page, user: CreatedUser, origin = "") {
  await page.goto(`${origin}/sign-in`);
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/exports$/);
}
