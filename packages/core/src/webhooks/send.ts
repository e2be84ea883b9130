import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { Webhook } from "standardwebhooks";
import { type HostLookup, parseWebhookUrl, type ResolvedAddress, resolveWebhookHost } from "./address";

/** Bytes of an answer read at most: only its status matters; a receiver cannot make a worker buffer more. */
export const MAX_ANSWER_BYTES = 16 * 1024;

export interface SendRequest {
  url: string;
  secret: string;
  /** The `webhook-id`: the delivery's, the same on every attempt. */
  id: string;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
  /** How the host's name is resolved (the system's; tests give their own names). */
  lookup?: HostLookup;
}

/** One attempt's outcome: an HTTP status, or no answer (error says why). */
export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/** Connects to the address that was checked, whatever the name resolves to a moment later (DNS rebinding). */
function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

/**
 * One Standard Webhooks attempt: the host resolved and checked again (it may have changed since creation), the
 * connection made to that checked address, signed with the `standardwebhooks` library, no redirect followed
 * (a 3xx is a failure like any non-2xx), the answer read up to MAX_ANSWER_BYTES, all within `timeoutMs`.
 */
export async function sendWebhook(req: SendRequest): Promise<SendResult> {
  const started = Date.now();
  let target: ResolvedAddress;
  let url: URL;
  try {
    url = parseWebhookUrl(req.url);
    [target] = (await resolveWebhookHost(url, req.allowPrivate, req.lookup)) as [ResolvedAddress];
  } catch (err) {
    return { ok: false, statusCode: null, error: (err as Error).message };
  }
  const timestamp = new Date();
  const signature = new Webhook(req.secret).sign(req.id, timestamp, req.body);
  const remaining = Math.max(1, req.timeoutMs - (Date.now() - started));
  const client = url.protocol === "https:" ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(result);
    };
    const request = client.request(
      url,
      {
        method: "POST",
        lookup: pinnedLookup(target),
        agent: false,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(req.body),
          "user-agent": "exports-webhooks/1",
          "webhook-id": req.id,
          "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
          "webhook-signature": signature,
        },
      },
      (res) => {
        const statusCode = res.statusCode ?? 0;
        let read = 0;
        const done = () =>
          finish({
            ok: statusCode >= 200 && statusCode < 300,
            statusCode,
            error: statusCode >= 200 && statusCode < 300 ? null : `HTTP ${statusCode}`,
          });
        res.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) done();
        });
        res.on("end", done);
        res.on("error", done);
      },
    );
    const timer = setTimeout(
      () => finish({ ok: false, statusCode: null, error: `No answer within ${req.timeoutMs} ms.` }),
      remaining,
    );
    request.on("error", (err: NodeJS.ErrnoException) =>
      finish({ ok: false, statusCode: null, error: `${err.code ? `${err.code}: ` : ""}${err.message}` }),
    );
    request.end(req.body);
  });
}
