import { expect, test } from "@playwright/test";
import { type CreatedUser, cli, createUser } from "../support/cli";
import { signIn } from "../support/sign-in";

/**
 * Saved exports in Chromium (issue 17): "Save as template" in the export dialog, the Templates page (run now,
 * edit with the server's validation, pause and resume, delete), visibility, and the Owner columns showing
 * usernames to a superuser.
 */
let alice: CreatedUser;
let bob: CreatedUser;
let root: CreatedUser;

test.beforeAll(() => {
  alice = createUser("tpl_alice");
  bob = createUser("tpl_bob");
  root = createUser("tpl_root", true);
  cli("seed", "--products", "600");
});

test("save an export as a template, then run, edit, pause, resume and delete it", async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  await signIn(page, alice);
  await page.goto("/products?is_active=true");
  await page.getByRole("button", { name: "Export", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Export products" });
  await dialog.getByRole("radio", { name: "CSV" }).check();
  await dialog.getByRole("button", { name: "Save as template…" }).click();
  await dialog.getByLabel("Template name").fill("Active products, weekdays");
  await dialog.getByRole("checkbox", { name: "Run on a schedule" }).check();
  await dialog.getByLabel(/^Cron/).fill("0 6 * * 1-5");
  await dialog.getByLabel("Time zone").fill("Europe/Berlin");
  await dialog.getByRole("button", { name: "Save template" }).click();
  await expect(dialog.getByRole("status")).toContainText("Saved “Active products, weekdays”");
  await dialog.getByRole("link", { name: "Open Templates" }).click();

  await expect(page.getByRole("heading", { name: "Templates", level: 1 })).toBeVisible();
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Templates" }),
  ).toHaveAttribute("aria-current", "page");
  const row = page.getByRole("row").filter({ hasText: "Active products, weekdays" });
  await expect(row).toContainText("0 6 * * 1-5");
  await expect(row).toContainText("Europe/Berlin");
  await expect(row).toContainText("never");
  await page.screenshot({ path: test.info().outputPath("templates.png"), fullPage: true });

  // What the page shows is what the API has.
  const api = await request.get("/api/v1/export_templates/", {
    headers: { Authorization: `Token ${alice.token}` },
  });
  const [saved] = (await api.json()) as Array<{ id: string; request_path: string; next_run_at: string }>;
  expect(saved?.request_path).toBe("/api/v1/products/?is_active=true");
  expect(saved?.next_run_at).toBeTruthy();

  // Pause and resume.
  await row.getByRole("button", { name: /^Pause/ }).click();
  await expect(row).toContainText("paused");
  // Cells after the name (a row header): what, schedule, next run, last run.
  await expect(row.getByRole("cell").nth(2)).toHaveText("—");
  await row.getByRole("button", { name: /^Resume/ }).click();
  await expect(row).not.toContainText("paused");

  // Edit: the server's 400 is shown in words; a valid schedule saves, with a file option (issue 17).
  await row.getByRole("button", { name: /^Edit/ }).click();
  const edit = page.getByRole("dialog", { name: /Edit/ });
  await edit.getByLabel(/^Cron/).fill("61 * * * *");
  await edit.getByRole("button", { name: "Save", exact: true }).click();
  await expect(edit.getByRole("alert")).toContainText("minute: 61");
  await edit.getByLabel(/^Cron/).fill("30 7 * * *");
  await edit.getByLabel("Delimiter").selectOption(";");
  await edit.getByRole("button", { name: "Save", exact: true }).click();
  await expect(edit).toBeHidden();
  await expect(row).toContainText("30 7 * * *");

  // Run now: the new export's page; it completes and names its template.
  await row.getByRole("button", { name: /^Run now/ }).click();
  await expect(page).toHaveURL(/\/exports\/[0-9a-f-]{36}$/);
  const exportId = page.url().split("/").at(-1) ?? "";
  await expect(page.getByRole("region", { name: "Status" }).getByText("completed")).toBeVisible({
    timeout: 60_000,
  });
  const record = await request.get(`/api/v1/exports/${exportId}/`, {
    headers: { Authorization: `Token ${alice.token}` },
  });
  const made = (await record.json()) as { template: string; options: { delimiter: string } };
  expect(made.template).toBe(saved?.id);
  // The option set in the edit dialog is the run's, and its page says so.
  expect(made.options.delimiter).toBe(";");
  await expect(page.getByText(/semicolon delimiter/)).toBeVisible();
  await page.goto("/templates");
  await expect(row).not.toContainText("never");

  // Bob does not see it.
  const bobs = await request.get(`/api/v1/export_templates/${saved?.id}/`, {
    headers: { Authorization: `Token ${bob.token}` },
  });
  expect(bobs.status()).toBe(404);

  // Delete, after a confirmation.
  await row.getByRole("button", { name: /^Delete/ }).click();
  const confirm = page.getByRole("dialog", { name: /Delete/ });
  await confirm.getByRole("button", { name: "Delete template" }).click();
  await expect(row).toHaveCount(0);
});

test("a superuser sees owners by username on the Templates and Exports pages", async ({ page, request }) => {
  const headers = { Authorization: `Token ${bob.token}` };
  const created = await request.post("/api/v1/export_templates/", {
    headers,
    data: { name: "Bob's orders", request_path: "/api/v1/orders/" },
  });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  expect((await request.post(`/api/v1/export_templates/${id}/run/`, { headers })).status()).toBe(201);
  await signIn(page, root);
  const exportRow = page.getByRole("row").filter({ hasText: "tpl_bob" }).first();
  await expect(page.getByRole("columnheader", { name: "Owner" })).toBeVisible();
  await expect(exportRow).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Templates" }).click();
  await expect(page.getByRole("row").filter({ hasText: "Bob's orders" })).toContainText("tpl_bob");
});
