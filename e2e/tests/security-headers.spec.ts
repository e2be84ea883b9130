import { expect, test } from "@playwright/test";

/** Security headers on pages and API answers, as the running app sends them (issue 6 §8). */
test("pages and API answers carry the security headers", async ({ request }) => {
  for (const path of ["/", "/sign-in", "/api/v1/exports/", "/api/v1/openapi.json"]) {
    const res = await request.get(path, { maxRedirects: 0 });
    const h = res.headers();
    expect(h["content-security-policy"], path).toContain("frame-ancestors 'none'");
    expect(h["x-content-type-options"], path).toBe("nosniff");
    expect(h["referrer-policy"], path).toBe("strict-origin-when-cross-origin");
    expect(h["x-frame-options"], path).toBe("DENY");
  }
});
