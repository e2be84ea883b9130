import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalStorage } from "@exports/core";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "~/server/rest/routes";
import { createCaller } from "~/server/trpc/root";
import { assertErrorBody } from "./contract";
import { callerContext, type Harness, startHarness, type TestUser } from "./harness";
import { assertServedSchema } from "./served-schema";

/** Issue 16: the webhook endpoints over REST (status codes, JSON errors, the secret once) and their tRPC twins. */
let h: Harness;
const storage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-webhooks-")));
// A public address (creation resolves, never connects): no DNS needed.
const PUBLIC_URL = "https://93.184.215.14/hooks/exports";

beforeAll(async () => {
  delete process.env.WEBHOOK_ALLOW_PRIVATE;
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

type Json = Record<string, unknown>;

const create = (user: TestUser, body: unknown) =>
  h.call("POST", "/api/v1/webhooks/", { token: user.token, body });

async function created(user: TestUser, extra: Json = {}) {
  const res = await create(user, { url: PUBLIC_URL, events: ["export.completed"], ...extra });
  expect(res.status, res.text).toBe(201);
  return res.body as Json & { id: string; secret: string };
}

describe("REST /api/v1/webhooks/", () => {
  it("creates an endpoint: 201 with its fields and the secret, shown only there", async () => {
    const res = await create(h.alice, {
      url: PUBLIC_URL,
      events: ["export.completed", "export.failed", "export.completed"],
      description: "CRM sync",
    });
    expect(res.status).toBe(201);
    assertServedSchema("WebhookCreated", res.body);
    const body = res.body as Json & { id: string; secret: string };
    expect(body).toMatchObject({
      url: PUBLIC_URL,
      events: ["export.completed", "export.failed"],
      description: "CRM sync",
      scope: "own",
      owner: h.alice.id,
      is_active: true,
      disabled_reason: null,
    });
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(body.secret.slice(6), "base64").length).toBeGreaterThanOrEqual(24);
    // Never again: not in the retrieve, the list, or an update's answer.
    const retrieve = await h.call("GET", `/api/v1/webhooks/${body.id}/`, { token: h.alice.token });
    const list = await h.call("GET", "/api/v1/webhooks/", { token: h.alice.token });
    const patch = await h.call("PATCH", `/api/v1/webhooks/${body.id}/`, {
      token: h.alice.token,
      body: { description: "renamed" },
    });
    for (const r of [retrieve, list, patch]) {
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(body.secret.slice(6));
      expect(r.text).not.toContain("secret");
    }
    assertServedSchema("Webhook", retrieve.body);
    expect(retrieve.body).toMatchObject({ id: body.id, created_date: body.created_date });
    expect((list.body as Json[]).map((w) => w.id)).toContain(body.id);
    expect(patch.body).toMatchObject({ description: "renamed" });
    const other = await created(h.alice);
    expect(other.secret).not.toBe(body.secret);
  });

  it.each([
    ["http://127.0.0.1/hook", /127\.0\.0\.1 \(loopback\)/],
    ["http://2130706433/hook", /127\.0\.0\.1 \(loopback\)/],
    ["http://localhost:8080/", /"localhost" resolves to .* not a public address/],
    ["http://[::ffff:10.0.0.1]/", /not a public address/],
    ["http://169.254.169.254/latest/meta-data/", /linkLocal/],
    ["ftp://93.184.215.14/", /Only http and https URLs are allowed\./],
    ["not a url", /Enter a valid URL\./],
  ])("refuses %s with a clear 400 on url", async (url, message) => {
    const res = await create(h.alice, { url, events: ["export.completed"] });
    expect(res.status).toBe(400);
    assertErrorBody(res.body);
    const errors = (res.body as { url: string[] }).url;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it("reports every other bad field at once, as JSON; a body that is not JSON is a 400 or 415", async () => {
    const res = await create(h.alice, { events: ["export.started"], scope: "all", description: 5 });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      url: ["This field is required."],
      events: ['Item 1: "export.started" is not a valid choice.'],
      description: ["Not a valid string."],
    });
    const scope = await create(h.alice, { url: PUBLIC_URL, events: ["export.failed"], scope: "all" });
    expect(scope.status).toBe(400);
    expect(scope.body).toEqual({ scope: ["Only a superuser's endpoint may receive every user's events."] });
    expect((await create(h.alice, { url: PUBLIC_URL, events: [] })).body).toEqual({
      events: ["Choose at least one event."],
    });
    const bad = await h.call("POST", "/api/v1/webhooks/", {
      token: h.alice.token,
      rawBody: "{",
      headers: { "content-type": "application/json" },
    });
    expect(bad.status).toBe(400);
    assertErrorBody(bad.body);
    const form = await h.call("POST", "/api/v1/webhooks/", {
      token: h.alice.token,
      rawBody: "url=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    const anonymous = await h.call("POST", "/api/v1/webhooks/", { token: null, body: {} });
    expect(anonymous.status).toBe(401);
  });

  it("hides other users' endpoints (404, as exports); a superuser sees them and may ask for scope all", async () => {
    const hook = await created(h.alice);
    for (const [method, suffix] of [
      ["GET", ""],
      ["PATCH", ""],
      ["DELETE", ""],
      ["POST", "test/"],
      ["GET", "deliveries/"],
    ] as const) {
      const res = await h.call(method, `/api/v1/webhooks/${hook.id}/${suffix}`, {
        token: h.bob.token,
        body: method === "PATCH" ? { description: "mine now" } : undefined,
      });
      expect(res.status, `${method} ${suffix}`).toBe(404);
      expect(res.body).toEqual({ detail: "Not found." });
    }
    expect((await h.call("GET", "/api/v1/webhooks/not-a-uuid/", { token: h.alice.token })).status).toBe(404);
    const bobs = await h.call("GET", "/api/v1/webhooks/", { token: h.bob.token });
    expect((bobs.body as Json[]).map((w) => w.id)).not.toContain(hook.id);
    expect((await h.call("GET", `/api/v1/webhooks/${hook.id}/`, { token: h.root.token })).status).toBe(200);
    const all = await created(h.root, { scope: "all" });
    expect(all.scope).toBe("all");
  });

  it("sends a test event, lists deliveries, deactivates and deletes", async () => {
    const hook = await created(h.alice);
    const test = await h.call("POST", `/api/v1/webhooks/${hook.id}/test/`, { token: h.alice.token });
    expect(test.status).toBe(202);
    assertServedSchema("WebhookDelivery", test.body);
    expect(test.body).toMatchObject({
      event_type: "webhook.test",
      status: "pending",
      attempts: 0,
      export_id: null,
    });
    const deliveries = await h.call("GET", `/api/v1/webhooks/${hook.id}/deliveries/`, {
      token: h.alice.token,
    });
    expect(deliveries.status).toBe(200);
    expect(deliveries.body).toEqual([test.body]);
    const off = await h.call("PATCH", `/api/v1/webhooks/${hook.id}/`, {
      token: h.alice.token,
      body: { is_active: false },
    });
    expect(off.body).toMatchObject({ is_active: false });
    const refused = await h.call("POST", `/api/v1/webhooks/${hook.id}/test/`, { token: h.alice.token });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ detail: "Webhook is not active." });
    const privateUrl = await h.call("PATCH", `/api/v1/webhooks/${hook.id}/`, {
      token: h.alice.token,
      body: { url: "http://10.0.0.8/" },
    });
    expect(privateUrl.status).toBe(400);
    expect(Object.keys(privateUrl.body as Json)).toEqual(["url"]);
    const gone = await h.send("DELETE", `/api/v1/webhooks/${hook.id}/`, { token: h.alice.token });
    expect(gone.status).toBe(204);
    expect(await gone.text()).toBe("");
    expect((await h.call("GET", `/api/v1/webhooks/${hook.id}/`, { token: h.alice.token })).status).toBe(404);
  });

  it("documents each operation in the served OpenAPI document", () => {
    const paths = openApiDocument().paths;
    expect(Object.keys(paths["/api/v1/webhooks/"] ?? {})).toEqual(["get", "post"]);
    expect(Object.keys(paths["/api/v1/webhooks/{id}/"] ?? {})).toEqual(["get", "patch", "delete"]);
    expect(Object.keys(paths["/api/v1/webhooks/{id}/test/"] ?? {})).toEqual(["post"]);
    expect(Object.keys(paths["/api/v1/webhooks/{id}/deliveries/"] ?? {})).toEqual(["get"]);
  });
});

describe("tRPC webhooks (the twins)", () => {
  const caller = (user: TestUser) => createCaller(callerContext(h.db, storage, user.actor));
  const codeOf = async (promise: Promise<unknown>) => {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TRPCError);
    return (err as TRPCError).code;
  };

  it("does what REST does, through the same services", async () => {
    const alice = caller(h.alice);
    const hook = await alice.webhooks.create({ url: PUBLIC_URL, events: ["export.cancelled"] });
    expect(hook.secret).toMatch(/^whsec_/);
    const fetched = await alice.webhooks.get({ id: hook.id });
    expect(fetched).not.toHaveProperty("secret");
    const { secret: _, ...shown } = hook;
    expect(fetched).toEqual(shown);
    const rest = await h.call("GET", `/api/v1/webhooks/${hook.id}/`, { token: h.alice.token });
    expect(rest.body).toEqual(fetched);
    expect((await alice.webhooks.list()).map((w) => w.id)).toContain(hook.id);
    expect(
      await alice.webhooks.update({ id: hook.id, changes: { events: ["export.failed"] } }),
    ).toMatchObject({
      events: ["export.failed"],
    });
    const delivery = await alice.webhooks.test({ id: hook.id });
    expect(await alice.webhooks.deliveries({ id: hook.id })).toEqual([delivery]);
    expect(await codeOf(alice.webhooks.create({ url: "http://127.0.0.1/", events: ["export.failed"] }))).toBe(
      "BAD_REQUEST",
    );
    expect(await codeOf(caller(h.bob).webhooks.get({ id: hook.id }))).toBe("NOT_FOUND");
    expect(await codeOf(caller(h.bob).webhooks.delete({ id: hook.id }))).toBe("NOT_FOUND");
    expect(await alice.webhooks.delete({ id: hook.id })).toEqual({ id: hook.id });
    expect(await codeOf(alice.webhooks.get({ id: hook.id }))).toBe("NOT_FOUND");
  });
});
