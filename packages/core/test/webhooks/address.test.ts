import { describe, expect, it } from "vitest";
import { isPublicAddress, parseWebhookUrl, resolveWebhookHost } from "../../src/webhooks/address";

/** The SSRF rule (SECURITY.md): each URL's host, as a client would reach it, is refused or allowed. */
const REFUSED: Array<[string, string]> = [
  ["http://127.0.0.1/", "loopback"],
  ["http://127.255.255.254:8080/hook", "loopback, any of 127/8"],
  ["http://2130706433/", "decimal form of 127.0.0.1"],
  ["http://0x7f000001/", "hex form of 127.0.0.1"],
  ["http://0x7f.1/", "short hex form"],
  ["http://0177.0.0.1/", "octal form"],
  ["http://017700000001/", "octal whole-number form"],
  ["http://127.1/", "short dotted form"],
  ["http://0.0.0.0/", "unspecified"],
  ["http://0/", "unspecified, decimal"],
  ["http://10.1.2.3/", "private 10/8"],
  ["http://172.16.0.1/", "private 172.16/12"],
  ["http://172.31.255.255/", "private 172.16/12, top"],
  ["http://192.168.1.1/", "private 192.168/16"],
  ["http://3232235777/", "decimal 192.168.1.1"],
  ["http://169.254.169.254/latest/meta-data/", "link-local (cloud metadata)"],
  ["http://100.64.0.1/", "CGNAT 100.64/10"],
  ["http://224.0.0.1/", "multicast"],
  ["http://255.255.255.255/", "broadcast"],
  ["http://192.0.2.1/", "documentation (TEST-NET-1)"],
  ["http://198.18.0.1/", "benchmarking"],
  ["http://240.0.0.1/", "reserved 240/4"],
  ["http://[::1]/", "IPv6 loopback"],
  ["http://[::]/", "IPv6 unspecified"],
  ["http://[::ffff:127.0.0.1]/", "IPv4-mapped loopback"],
  ["http://[::ffff:7f00:1]/", "IPv4-mapped loopback, hex"],
  ["http://[::ffff:10.0.0.1]/", "IPv4-mapped private"],
  ["http://[::ffff:169.254.169.254]/", "IPv4-mapped link-local"],
  ["http://[fe80::1]/", "IPv6 link-local"],
  ["http://[fc00::1]/", "IPv6 unique local"],
  ["http://[fd12:3456::1]/", "IPv6 unique local fd"],
  ["http://[ff02::1]/", "IPv6 multicast"],
  ["http://[64:ff9b::7f00:1]/", "NAT64 of 127.0.0.1"],
  ["http://[2002:7f00:1::]/", "6to4 of 127.0.0.1"],
  ["http://[2001:db8::1]/", "IPv6 documentation"],
  ["http://localhost/", "a name resolving to loopback"],
  ["http://LocalHost:8080/", "the same name, another case"],
];

const ALLOWED = [
  "93.184.215.14",
  "8.8.8.8",
  "1.1.1.1",
  "2606:4700:4700::1111",
  "::ffff:8.8.8.8",
  "172.32.0.1",
];

describe("the SSRF address rule", () => {
  it.each(REFUSED)("refuses %s (%s)", async (value) => {
    const url = parseWebhookUrl(value);
    await expect(resolveWebhookHost(url, false)).rejects.toThrow(/not a public address/);
  });

  it.each(ALLOWED)("allows the public address %s", async (address) => {
    expect(isPublicAddress(address)).toBe(true);
    const host = address.includes(":") ? `[${address}]` : address;
    await expect(resolveWebhookHost(parseWebhookUrl(`https://${host}/hook`), false)).resolves.toHaveLength(1);
  });

  it("refuses anything but http(s), and nonsense", () => {
    for (const value of ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)"]) {
      expect(() => parseWebhookUrl(value)).toThrow("Only http and https URLs are allowed.");
    }
    expect(() => parseWebhookUrl("not a url")).toThrow("Enter a valid URL.");
  });

  it("says so when a name does not resolve", async () => {
    await expect(resolveWebhookHost(parseWebhookUrl("http://no-such-host.invalid/"), false)).rejects.toThrow(
      /could not be resolved/,
    );
  });

  it("WEBHOOK_ALLOW_PRIVATE lifts the address rule, not the scheme rule", async () => {
    await expect(resolveWebhookHost(parseWebhookUrl("http://127.0.0.1:9/"), true)).resolves.toEqual([
      { address: "127.0.0.1", family: 4 },
    ]);
    expect(() => parseWebhookUrl("ftp://127.0.0.1/")).toThrow();
  });
});
