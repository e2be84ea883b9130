import { describe, expect, it } from "vitest";
import { parseOptions, positiveInteger, UsageError } from "../src/args";

const specs = {
  name: { type: "string", value: "NAME", description: "" },
  flag: { type: "boolean", description: "" },
} as const;

describe("parseOptions", () => {
  it("reads strings and flags", () => {
    expect(parseOptions("'x'", ["--name", "a", "--flag"], specs)).toEqual({ name: "a", flag: true });
    expect(parseOptions("'x'", ["--name=a b"], specs)).toEqual({ name: "a b" });
    expect(parseOptions("'x'", [], specs)).toEqual({});
  });

  it.each([
    [["--nope"], "unknown option '--nope' for 'x'"],
    [["-n"], "unknown option '-n' for 'x'"],
    [["--name"], "option '--name' needs a value (--name NAME)"],
    [["--name", "--flag"], "option '--name' needs a value (--name NAME)"],
    [["--flag=1"], "option '--flag' takes no value"],
    [["stray"], "unexpected argument 'stray' for 'x'"],
    [["--flag", "--flag"], "option '--flag' given more than once"],
  ])("%j → %s", (argv, message) => {
    expect(() => parseOptions("'x'", argv, specs)).toThrow(new UsageError(message));
  });
});

describe("positiveInteger", () => {
  it.each([
    ["1", 1],
    ["1000000", 1_000_000],
    [" 42 ", 42],
  ])("%j → %d", (raw, n) => {
    expect(positiveInteger("--n", raw)).toBe(n);
  });

  it.each(["0", "-1", "abc", "1.5", "1e3", "", "0x10", "99999999999999999999"])("rejects %j", (raw) => {
    expect(() => positiveInteger("--n", raw)).toThrow(UsageError);
  });
});
