import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { type CreatedUser, cli, createUser } from "../support/cli";

/**
 * Issue 16 from outside: the Webhooks page adds an endpoint (its secret shown once), an export's completion reaches
 * a real receiver signed as Standard Webhooks says (checked here with node:crypto, independently of the library
 * the server signs with), and the page shows the delivery. The app runs with WEBHOOK_ALLOW_PRIVATE=1
 * (scripts/serve.sh), so that a receiver on loopback is allowed.
 */
let alice: CreatedUser;

test.beforeAll(() => {
  alice = createUser("hook_alice");
  cli("seed", "--products", "600");
});

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function startReceiver() {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => server.close() };
}

/** The Standard Webhooks signature, computed from its definition. */
function expectedSignature(secret: string, r: Received): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signed = `${r.headers["webhook-id"]}.${r.headers["webhook-timestamp"]}.${r.body}`;
  return `v1,${createHmac("sha256", key).update(signed).digest("base64")}`;
}

test("the Webhooks page: add an endpoint, an export's completion arrives signed, the delivery is listed", async ({
  page,
  request,
}) => {
  const receiver = await startReceiver();
  try {
    await page.goto("/sign-in");
    await page.getByLabel("Username").fill(alice.username);
    await page.getByLabel("Password").fill(alice.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/exports$/);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
    await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();

    await page.getByLabel("URL").fill(receiver.url);
    await page.getByLabel("Description").fill("e2e receiver");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const panel = page.getByTestId("webhook-secret");
    await expect(panel).toContainText("shown only now");
    await expect(panel.getByRole("button", { name: "Copy secret" })).toBeVisible();
    const secret = (await panel.locator("code.secret").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    await page.screenshot({ path: test.info().outputPath("webhooks-created.png"), fullPage: true });
    await panel.getByRole("button", { name: "Done" }).click();
    await expect(page.getByTestId("webhook-secret")).toHaveCount(0);
    // Never shown again: not after a reload either.
    await page.reload();
    const endpoint = page.getByRole("article", { name: `Endpoint ${receiver.url}` });
    await expect(endpoint).toContainText("e2e receiver");
    await expect(page.locator("body")).not.toContainText(secret);

    const created = await request.post("/api/v1/exports/", {
      headers: { Authorization: `Token ${alice.token}` },
      data: { request_path: "/api/v1/products/", format_type: "json", action_name: "webhook e2e" },
    });
    expect(created.status()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await expect.poll(() => receiver.received.length, { timeout: 60_000 }).toBe(1);
    const [got] = receiver.received as [Received];
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["webhook-signature"]).toBe(expectedSignature(secret, got));
    const payload = JSON.parse(got.body) as { type: string; data: Record<string, unknown> };
    expect(payload.type).toBe("export.completed");
    const retrieve = await request.get(`/api/v1/exports/${id}/`, {
      headers: { Authorization: `Token ${alice.token}` },
    });
    expect(payload.data).toEqual(await retrieve.json());

    await endpoint.getByRole("button", { name: "Deliveries" }).click();
    const row = endpoint.locator("tr", { hasText: "export.completed" });
    await expect(row).toContainText("succeeded");
    await expect(row).toContainText("204");
    await endpoint.getByRole("button", { name: "Send test event" }).click();
    await expect(endpoint.locator("tr", { hasText: "webhook.test" })).toContainText("succeeded", {
      timeout: 15_000,
    });
    await page.screenshot({ path: test.info().outputPath("webhooks-deliveries.png"), fullPage: true });

    await endpoint.getByRole("button", { name: "Turn off" }).click();
    await expect(endpoint).toContainText("off");
    page.once("dialog", (dialog) => void dialog.accept());
    await endpoint.getByRole("button", { name: "Delete" }).click();
    await expect(page.getByText("No endpoints yet.")).toBeVisible();
  } finally {
    receiver.close();
  }
});
