/** Where sign-in goes when `next` is missing or not a place of this site. */
export const AFTER_SIGN_IN = "/exports";

/**
 * Where to return after sign-in: `next` resolved as the browser will (the URL parser drops tabs and new
 * lines and reads `\` as `/`), kept only on the page's origin, as its path, query and fragment. String checks
 * on the raw value cannot see that `/\t/evil.example/x` navigates to `//evil.example/x`. Pure (the origin is
 * passed in), so it is tested on a table of hostile values.
 */
export function safeNext(next: string | null | undefined, origin: string): string {
  if (!next) return AFTER_SIGN_IN;
  let base: URL;
  let url: URL;
  try {
    base = new URL(origin);
    url = new URL(next, base);
  } catch {
    return AFTER_SIGN_IN;
  }
  if (url.origin !== base.origin || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return AFTER_SIGN_IN;
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Handed to the router, a path starting with `//` (e.g. from `/.//evil`) would be another host again.
  if (!path.startsWith("/") || path.startsWith("//")) return AFTER_SIGN_IN;
  // Back to the sign-in page would be a loop.
  if (url.pathname === "/sign-in" || url.pathname.startsWith("/sign-in/")) return AFTER_SIGN_IN;
  return path;
}
