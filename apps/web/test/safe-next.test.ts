import { describe, expect, it } from "vitest";
import { AFTER_SIGN_IN, safeNext } from "~/lib/safe-next";

// Issue 12: `/sign-in?next=%2F%09%2Fevil.example%2Fx` navigated to another origin after sign-in.

const ORIGIN = "https://exports.example.com";

describe("safeNext (where sign-in returns to)", () => {
  it.each([
    ["/exports", "/exports"],
    ["/exports?status=pending&page=2", "/exports?status=pending&page=2"],
    ["/exports/0b6f3c1e-7d1c-4c56-9a3e-6c3c0d1b2a11", "/exports/0b6f3c1e-7d1c-4c56-9a3e-6c3c0d1b2a11"],
    ["/products#top", "/products#top"],
    // Same origin, spelled in full: only its path is kept.
    [`${ORIGIN}/orders?x=1`, "/orders?x=1"],
    // A relative path resolves against the origin's root.
    ["orders", "/orders"],
    // A percent-encoded tab stays encoded: a path of this site (a 404 page at worst).
    ["/%09/evil.example/x", "/%09/evil.example/x"],
  ])("keeps %j as %j", (next, expected) => {
    expect(safeNext(next, ORIGIN)).toBe(expected);
  });

  it.each([
    // Tabs and new lines are dropped by the URL parser: these are `//evil.example/x`.
    "/\t/evil.example/x",
    "/\n/evil.example/x",
    "/\r\n/evil.example/x",
    "\t//evil.example",
    "//evil.example",
    "//evil.example/exports",
    "///evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/.//evil.example",
    "https://evil.example/exports",
    "http://exports.example.com/exports", // another scheme is another origin
    "https://exports.example.com:8443/exports",
    "https://exports.example.com.evil.example/",
    "https://user@evil.example/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "blob:https://evil.example/x",
    "/sign-in",
    "/sign-in?next=/exports",
    "",
    null,
    undefined,
  ])("refuses %j (→ the default page)", (next) => {
    expect(safeNext(next, ORIGIN)).toBe(AFTER_SIGN_IN);
  });

  it("never returns anything that resolves to another origin", () => {
    const hostile = ["/", "\\", "\t", "\n", "%09", "%2F", ".", ":", "@", "evil.example", "javascript:"];
    // Every string of up to three of these pieces, resolved as a browser would resolve the result.
    const pieces = (n: number): string[] =>
      n === 0 ? [""] : pieces(n - 1).flatMap((p) => hostile.map((h) => p + h));
    for (const next of [...pieces(1), ...pieces(2), ...pieces(3)]) {
      const out = safeNext(next, ORIGIN);
      expect(new URL(out, ORIGIN).origin, JSON.stringify(next)).toBe(ORIGIN);
      expect(out.startsWith("/") && !out.startsWith("//"), JSON.stringify(next)).toBe(true);
    }
  });
});
