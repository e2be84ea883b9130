import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { startReceiver } from "../../src/testing/receiver";
import type { HostLookup } from "../../src/webhooks/address";
import { sendWebhook } from "../../src/webhooks/send";
import { newWebhookSecret } from "../../src/webhooks/service";

/** One attempt against real servers on loopback: where it connects, how long it waits, how much it reads. */
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const secret = newWebhookSecret();
const request = (url: string, extra: Partial<Parameters<typeof sendWebhook>[0]> = {}) =>
  sendWebhook({
    url,
    secret,
    id: "msg_1",
    body: '{"type":"webhook.test"}',
    timeoutMs: 1000,
    allowPrivate: true,
    ...extra,
  });

describe("one delivery attempt", () => {
  it("connects to the address it checked: the name is resolved once, never again by the HTTP client", async () => {
    const receiver = await startReceiver(() => 204);
    closers.push(receiver.close);
    const port = new URL(receiver.url).port;
    let lookups = 0;
    // A name no DNS server knows: had the client resolved it again, it would have failed (ENOTFOUND).
    const lookup: HostLookup = async () => {
      lookups++;
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const result = await request(`http://hooks.rebinding.invalid:${port}/hook`, { lookup });
    expect(result).toEqual({ ok: true, statusCode: 204, error: null });
    expect(lookups).toBe(1);
    const [got] = receiver.received;
    expect(got?.headers.host).toBe(`hooks.rebinding.invalid:${port}`);
    expect(new Webhook(secret).verify(got?.body ?? "", got?.headers as Record<string, string>)).toEqual({
      type: "webhook.test",
    });
  });

  it("refuses a name that now resolves to a private address, sending nothing", async () => {
    const receiver = await startReceiver(() => 200);
    closers.push(receiver.close);
    const lookup: HostLookup = async () => [
      { address: "93.184.215.14", family: 4 },
      { address: "127.0.0.1", family: 4 },
    ];
    const result = await request(`http://hooks.example.invalid:${new URL(receiver.url).port}/`, {
      lookup,
      allowPrivate: false,
    });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/resolves to 127\.0\.0\.1 \(loopback\), which is not a public address/);
    expect(receiver.received).toHaveLength(0);
  });

  it("gives up after the timeout when no answer comes", async () => {
    const receiver = await startReceiver(() => "hang");
    closers.push(receiver.close);
    const started = Date.now();
    const result = await request(receiver.url, { timeoutMs: 300 });
    expect(result).toEqual({ ok: false, statusCode: null, error: "No answer within 300 ms." });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("reads an answer only up to a small limit: an endless body does not hold the worker", async () => {
    let written = 0;
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = () => {
        while (written < 1024 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const { port } = server.address() as AddressInfo;
    const result = await request(`http://127.0.0.1:${port}/`, { timeoutMs: 5000 });
    expect(result).toEqual({ ok: true, statusCode: 200, error: null });
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });
});
