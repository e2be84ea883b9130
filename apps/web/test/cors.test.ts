import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./harness";

// CORS for the REST API (issue 12 §5): only the origins of CORS_ORIGINS, never credentials, never tRPC.
// This file's routes read this list (env() is read once per file, after this).
const APP = "https://app.example.com";
const DEV = "http://localhost:5173";
process.env.CORS_ORIGINS = ` ${APP}, ${DEV} `;

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

const accessControl = (res: { headers: Headers }) =>
  Object.fromEntries([...res.headers].filter(([name]) => name.startsWith("access-control-")));

const preflight = (path: string, origin: string, method: string, headers: string) =>
  h.send("OPTIONS", path, {
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": method,
      "Access-Control-Request-Headers": headers,
    },
  });

describe("CORS: a listed origin", () => {
  it("may read the list's answer and its headers; no credentials are allowed", async () => {
    await h.insertExport(h.alice);
    const res = await h.call("GET", "/api/v1/exports/", { token: h.alice.token, headers: { Origin: APP } });
    expect(res.status).toBe(200);
    const cors = accessControl(res);
    expect(cors["access-control-allow-origin"]).toBe(APP);
    const exposed = (cors["access-control-expose-headers"] ?? "").split(", ");
    expect(exposed).toEqual(
      expect.arrayContaining([
        "X-Total-Count",
        "Link",
        "ETag",
        "Content-Disposition",
        "Content-Range",
        "Retry-After",
        "WWW-Authenticate",
      ]),
    );
    expect(cors["access-control-allow-credentials"]).toBeUndefined();
    expect(res.headers.get("vary")).toMatch(/\bOrigin\b/);
    // The second listed origin too, each answered with itself.
    const dev = await h.call("GET", "/api/v1/exports/", { token: h.alice.token, headers: { Origin: DEV } });
    expect(dev.headers.get("access-control-allow-origin")).toBe(DEV);
  });

  it("gets a preflight answer: 204, the path's methods, the headers it may send, a max age", async () => {
    const res = await preflight(
      "/api/v1/exports/",
      APP,
      "POST",
      "authorization,content-type,idempotency-key",
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, HEAD, POST, OPTIONS");
    const cors = accessControl(res);
    expect(cors["access-control-allow-origin"]).toBe(APP);
    expect(cors["access-control-allow-methods"]).toBe("GET, HEAD, POST, OPTIONS");
    const allowed = (cors["access-control-allow-headers"] ?? "").toLowerCase().split(", ");
    expect(allowed).toEqual(
      expect.arrayContaining([
        "authorization",
        "content-type",
        "idempotency-key",
        "if-none-match",
        "range",
        "if-range",
      ]),
    );
    expect(cors["access-control-max-age"]).toBe("600");
    expect(cors["access-control-allow-credentials"]).toBeUndefined();
    // Each path answers with its own methods.
    const cancel = await preflight(
      `/api/v1/exports/${crypto.randomUUID()}/set_cancel/`,
      APP,
      "POST",
      "authorization",
    );
    expect(cancel.headers.get("access-control-allow-methods")).toBe("POST, OPTIONS");
    const download = await preflight(`/api/v1/exports/${crypto.randomUUID()}/download/`, DEV, "GET", "range");
    expect(download.headers.get("access-control-allow-methods")).toBe("GET, HEAD, OPTIONS");
  });

  it("can read errors (401, 404, 405) and conditional answers (304)", async () => {
    const unauth = await h.call("GET", "/api/v1/exports/", { token: null, headers: { Origin: APP } });
    expect(unauth.status).toBe(401);
    expect(unauth.headers.get("access-control-allow-origin")).toBe(APP);
    const missing = await h.call("GET", `/api/v1/exports/${crypto.randomUUID()}/`, {
      token: h.alice.token,
      headers: { Origin: APP },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("access-control-allow-origin")).toBe(APP);
    const wrong = await h.call("DELETE", "/api/v1/exports/", {
      token: h.alice.token,
      headers: { Origin: APP },
    });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("access-control-allow-origin")).toBe(APP);
    const row = await h.insertExport(h.alice);
    const first = await h.call("GET", `/api/v1/exports/${row.id}/`, {
      token: h.alice.token,
      headers: { Origin: APP },
    });
    const cached = await h.send("GET", `/api/v1/exports/${row.id}/`, {
      token: h.alice.token,
      headers: { Origin: APP, "If-None-Match": first.headers.get("etag") ?? "" },
    });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("access-control-allow-origin")).toBe(APP);
  });
});

describe("CORS: anything else gets no CORS header", () => {
  it.each([
    ["an unlisted origin", "https://evil.example"],
    ["a listed origin's sibling", "https://app.example.com.evil.example"],
    ["a listed origin with another scheme", "http://app.example.com"],
    ["a listed origin with a path", `${APP}/`],
    ["the opaque origin", "null"],
  ])("%s (%s)", async (_what, origin) => {
    const res = await h.call("GET", "/api/v1/exports/", {
      token: h.alice.token,
      headers: { Origin: origin },
    });
    expect(res.status).toBe(200);
    expect(accessControl(res)).toEqual({});
    // The answer still depends on the Origin header, for caches.
    expect(res.headers.get("vary")).toMatch(/\bOrigin\b/);
    const pre = await preflight("/api/v1/exports/", origin, "POST", "authorization");
    expect(pre.status).toBe(204);
    expect(accessControl(pre)).toEqual({});
  });

  it("no Origin (a same-origin or non-browser request)", async () => {
    const res = await h.call("GET", "/api/v1/exports/", { token: h.alice.token });
    expect(accessControl(res)).toEqual({});
  });

  it("tRPC (the dashboard's same-origin API), even from a listed origin", async () => {
    const res = await h.send("GET", "/api/trpc/auth.me", { headers: { Origin: APP } });
    expect(accessControl(res)).toEqual({});
    await res.arrayBuffer();
    const pre = await preflight("/api/trpc/exports.create", APP, "POST", "content-type");
    expect(accessControl(pre)).toEqual({});
  });
});
