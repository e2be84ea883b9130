import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * SSRF guard (issue 16, SECURITY.md): a webhook may only reach public unicast addresses. ipaddr.js keeps the
 * IANA special-purpose tables (loopback, RFC 1918, link-local, CGNAT, multicast, unique-local, NAT64, 6to4,
 * Teredo, documentation, benchmarking, …); anything it does not call plain `unicast` is refused, which errs on
 * the side of refusing a range added later.
 */
export function addressRange(address: string): string {
  const bare = address.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(bare)) return "invalid";
  let parsed = ipaddr.parse(bare);
  // ::ffff:127.0.0.1 reaches 127.0.0.1: judge the IPv4 address it carries.
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range();
}

export function isPublicAddress(address: string): boolean {
  return addressRange(address) === "unicast";
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Why a URL may not be called: a sentence for the 400 (creation) or the delivery log. */
export class UnsafeUrlError extends Error {
  override name = "UnsafeUrlError";
}

/**
 * A webhook URL, parsed: http(s) only. The WHATWG parser has already turned `http://2130706433/`,
 * `http://0x7f.1/` and `http://0177.0.0.1/` into 127.0.0.1, so what is checked is what a client would connect to.
 */
export function parseWebhookUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UnsafeUrlError("Enter a valid URL.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UnsafeUrlError("Only http and https URLs are allowed.");
  }
  if (url.hostname === "") throw new UnsafeUrlError("Enter a valid URL.");
  return url;
}

/** A name's addresses (the system resolver; tests give names of their own). */
export type HostLookup = (host: string) => Promise<ResolvedAddress[]>;

export const systemLookup: HostLookup = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family as 4 | 6,
  }));

/**
 * The addresses a URL's host stands for — every one checked: a name that resolves to one public and one
 * private address is refused (a client could pick either). `allowPrivate` (WEBHOOK_ALLOW_PRIVATE=1) lifts the
 * address rule, not the scheme rule.
 */
export async function resolveWebhookHost(
  url: URL,
  allowPrivate: boolean,
  lookupHost: HostLookup = systemLookup,
): Promise<ResolvedAddress[]> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: ResolvedAddress[];
  const literal = isIP(host);
  if (literal !== 0) {
    addresses = [{ address: host, family: literal as 4 | 6 }];
  } else {
    try {
      addresses = await lookupHost(host);
    } catch {
      throw new UnsafeUrlError(`The host "${host}" could not be resolved.`);
    }
    if (addresses.length === 0) throw new UnsafeUrlError(`The host "${host}" could not be resolved.`);
  }
  if (!allowPrivate) {
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) {
      throw new UnsafeUrlError(
        `The host "${host}" resolves to ${refused.address} (${addressRange(refused.address)}), which is not a public address.`,
      );
    }
  }
  return addresses;
}
