import { type APIRequestContext, expect, type Page, type Request, test } from "@playwright/test";
import { type CreatedUser, cli, createUser } from "../support/cli";
import { startCutProxy } from "../support/cut-proxy";
import { signIn } from "../support/sign-in";

/**
 * The dashboard's live updates (issue 16) in Chromium against `pnpm start`: while the live stream is up the
 * exports list changes from pushed events, with no list query asking again; while it is down (the stream's
 * URL blocked, the connection cut) the list polls as before, and the stream comes back by itself.
 */
let alice: CreatedUser;

test.beforeAll(() => {
  alice = createUser("live_alice");
  // Enough products that an unfiltered export with EXPORT_PAGE_SIZE=500 takes dozens of pages.
  cli("seed", "--products", "20000");
});

const STREAM = "**/api/trpc/exports.changes**";

/** Every exports.list query the page sends from now on (tRPC batches name it in the path). */
function recordListQueries(page: Page): Request[] {
  const seen: Request[] = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname.includes("exports.list")) seen.push(r);
  });
  return seen;
}

async function createExport(request: APIRequestContext, user: CreatedUser): Promise<string> {
  const res = await request.post("/api/v1/exports/", {
    headers: { Authorization: `Token ${user.token}` },
    data: { request_path: "/api/v1/products/", format_type: "csv" },
  });
  expect(res.status()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const liveStatus = (page: Page) => page.getByTestId("live-status");

/**
 * A new export that the page, reloaded, lists as still running, and the list queries from that reload on. One
 * the worker had already finished when the page asked leaves nothing to poll for (seen in CI: a small table
 * exports in about a second): then another, up to 5.
 */
async function exportShownRunning(page: Page, request: APIRequestContext) {
  for (let attempt = 1; ; attempt++) {
    const id = await createExport(request, alice);
    const row = page.locator(`tr[data-export-id="${id}"]`);
    const queries = recordListQueries(page);
    await page.reload();
    await expect(row).toBeVisible({ timeout: 30_000 });
    if (!(await row.getByText("completed").isVisible())) return { row, queries };
    expect(attempt, "every export had finished before the reloaded page listed it").toBeLessThan(5);
  }
}

test("while the stream is up, a running export's progress and status arrive with no polling request", async ({
  page,
  request,
}) => {
  test.setTimeout(150_000);
  await signIn(page, alice);
  await expect(liveStatus(page)).toHaveAttribute("data-live", "true");
  const queries = recordListQueries(page);

  const id = await createExport(request, alice);
  const row = page.locator(`tr[data-export-id="${id}"]`);
  // A new export is not in the list yet: the list asks once.
  await expect(row).toBeVisible({ timeout: 30_000 });
  const afterNew = queries.length;
  expect(afterNew).toBeLessThanOrEqual(1);

  // Progress arrives as pushed counts: the bar moves through values between 0 and the total.
  const bar = row.getByRole("progressbar");
  await expect
    .poll(async () => Number((await bar.getAttribute("aria-valuenow")) ?? 0), { timeout: 60_000 })
    .toBeGreaterThan(0);
  await expect(row.getByText("completed")).toBeVisible({ timeout: 90_000 });
  const total = Number(await bar.getAttribute("aria-valuemax"));
  expect(total).toBeGreaterThan(500);
  await expect(bar).toHaveAttribute("aria-valuenow", String(total));
  // No list query asked again while it ran (polling would have asked every second).
  expect(queries.length, queries.map((r) => r.url()).join("\n")).toBe(afterNew);
  await expect(liveStatus(page)).toHaveAttribute("data-live", "true");
});

test("when the stream is cut the list polls, and the stream comes back by itself", async ({
  page,
  request,
  baseURL,
}) => {
  test.setTimeout(180_000);
  // The page talks to the app through a proxy that can drop every connection, as a network blip would.
  const proxy = await startCutProxy(baseURL ?? "");
  try {
    await signIn(page, alice, proxy.origin);
    await expect(liveStatus(page)).toHaveAttribute("data-live", "true");

    // Cut: the open stream drops, and its URL refuses from now on (the browser keeps trying).
    await page.route(STREAM, (route) => route.abort());
    proxy.cut();
    await expect(liveStatus(page)).toHaveAttribute("data-live", "false", { timeout: 30_000 });

    // Without the stream nothing tells the page of a new export: a reload shows it, then polling runs.
    const { row, queries } = await exportShownRunning(page, request);
    await expect(liveStatus(page)).toHaveAttribute("data-live", "false");
    await expect(row.getByText("completed")).toBeVisible({ timeout: 90_000 });
    // Nothing pushed it: shown running, then completed, the page asked again (the reload's query, then polls).
    expect(queries.length).toBeGreaterThanOrEqual(2);

    // The stream is allowed again: it reconnects (the browser's retry, then the app's backoff), polling stops.
    await page.unroute(STREAM);
    await expect(liveStatus(page)).toHaveAttribute("data-live", "true", { timeout: 60_000 });
    const before = queries.length;
    const next = await createExport(request, alice);
    const nextRow = page.locator(`tr[data-export-id="${next}"]`);
    await expect(nextRow).toBeVisible({ timeout: 30_000 });
    await expect(nextRow.getByText("completed")).toBeVisible({ timeout: 90_000 });
    // At most the one query a new export causes.
    expect(queries.length - before).toBeLessThanOrEqual(1);
  } finally {
    await proxy.close();
  }
});
