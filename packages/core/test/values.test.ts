import { describe, expect, it } from "vitest";
import {
  isUuid,
  parseBoolean,
  parseDate,
  parseDateTime,
  parseDecimal,
  parseInteger,
  parseUuid,
  ValueError,
} from "../src/filters/values";

// Pure parsers: no database needed here.

/** The ValueError message a parser throws for `text` (fails the test if it does not throw one). */
function errorOf(parse: (text: string) => unknown, text: string): string {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ValueError);
    return (err as ValueError).message;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

const iso = (text: string) => parseDateTime(text).toISOString();

describe("parseInteger", () => {
  it.each([
    ["0", 0],
    ["42", 42],
    ["-42", -42],
    ["+42", 42],
    [" 7 ", 7],
    ["007", 7],
    ["2147483647", 2_147_483_647],
    ["-2147483648", -2_147_483_648],
  ])("accepts %j", (text, expected) => {
    expect(parseInteger(text)).toBe(expected);
  });

  it.each([
    "2147483648",
    "-2147483649",
    "9999999999",
    "12345678901",
    "",
    "abc",
    "1.0",
    "1.5",
    "1e3",
    "0x10",
    "12abc",
    "--1",
    "+-1",
    "1 2",
    "١٢",
    "NaN",
    "Infinity",
  ])("rejects %j", (text) => {
    expect(errorOf(parseInteger, text)).toBe("Enter a whole number.");
  });
});

describe("parseDecimal", () => {
  it.each([
    ["10", "10"],
    ["10.5", "10.5"],
    ["-0.25", "-0.25"],
    ["+3.14", "3.14"],
    [" 99.99 ", "99.99"],
    ["1234567890123.123456", "1234567890123.123456"],
  ])("accepts %j as %j", (text, expected) => {
    expect(parseDecimal(text)).toBe(expected);
  });

  it.each(["", "abc", "1e3", "1.", "1,5", "1.2.3", "NaN", "Infinity", "--1", "1.1234567", "12345678901234"])(
    "rejects %j",
    (text) => {
      expect(errorOf(parseDecimal, text)).toBe("Enter a number.");
    },
  );
});

describe("parseBoolean", () => {
  it.each(["true", "TRUE", " True ", "1", "yes", "on"])("reads %j as true", (text) => {
    expect(parseBoolean(text)).toBe(true);
  });
  it.each(["false", "False", "0", "no", "off"])("reads %j as false", (text) => {
    expect(parseBoolean(text)).toBe(false);
  });
  it.each(["", "maybe", "2", "t", "y", "truee"])("rejects %j", (text) => {
    expect(errorOf(parseBoolean, text)).toBe("Select a valid choice. Use true or false.");
  });
});

describe("parseUuid / isUuid", () => {
  const id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

  it("accepts a UUID, normalised to lower case and trimmed", () => {
    expect(parseUuid(id)).toBe(id);
    expect(parseUuid(id.toUpperCase())).toBe(id);
    expect(parseUuid(`  ${id} `)).toBe(id);
    expect(isUuid(id)).toBe(true);
    expect(isUuid(id.toUpperCase())).toBe(true);
  });

  it.each([
    "",
    "123",
    "3f2504e04f8941d39a0c0305e82c3301",
    "3f2504e0-4f89-41d3-9a0c-0305e82c330",
    "3f2504e0-4f89-41d3-9a0c-0305e82c33011",
    "3f2504e0-4f89-41d3-9a0c-0305e82c330g",
    "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}",
    "3f2504e0-4f89-41d3-9a0c-0305e82c3301; drop table exports",
  ])("rejects %j", (text) => {
    expect(errorOf(parseUuid, text)).toBe("Enter a valid UUID.");
    expect(isUuid(text)).toBe(false);
  });
});

describe("parseDate", () => {
  it("returns UTC midnight of the day", () => {
    expect(parseDate("2026-02-28").toISOString()).toBe("2026-02-28T00:00:00.000Z");
    expect(parseDate(" 2026-12-31 ").toISOString()).toBe("2026-12-31T00:00:00.000Z");
    expect(parseDate("2024-02-29").toISOString()).toBe("2024-02-29T00:00:00.000Z");
    expect(parseDate("0001-01-01").toISOString()).toBe("0001-01-01T00:00:00.000Z");
    expect(parseDate("0050-06-15").toISOString()).toBe("0050-06-15T00:00:00.000Z");
  });

  it.each([
    "2026-02-29",
    "2026-02-30",
    "2026-04-31",
    "2026-13-01",
    "2026-00-10",
    "2026-01-00",
    "2026-01-32",
    "0000-01-01",
    "2026-1-5",
    "26-01-01",
    "2026/01/01",
    "2026-01-01T00:00:00Z",
    "",
    "today",
  ])("rejects %j", (text) => {
    expect(errorOf(parseDate, text)).toBe("Enter a valid date.");
  });
});

describe("parseDateTime", () => {
  it("reads Z (either case) as UTC", () => {
    expect(iso("2026-11-28T10:00:00Z")).toBe("2026-11-28T10:00:00.000Z");
    expect(iso("2026-11-28T10:00:00z")).toBe("2026-11-28T10:00:00.000Z");
  });

  it("applies ±HH:MM, ±HHMM and ±HH offsets", () => {
    expect(iso("2026-11-28T10:00:00+03:00")).toBe("2026-11-28T07:00:00.000Z");
    expect(iso("2026-11-28T10:00:00+0300")).toBe("2026-11-28T07:00:00.000Z");
    expect(iso("2026-11-28T10:00:00+03")).toBe("2026-11-28T07:00:00.000Z");
    expect(iso("2026-11-28T10:00:00-05:30")).toBe("2026-11-28T15:30:00.000Z");
    expect(iso("2026-11-28T10:00:00-0530")).toBe("2026-11-28T15:30:00.000Z");
    expect(iso("2026-11-28T10:00:00+00:00")).toBe("2026-11-28T10:00:00.000Z");
  });

  it("crosses day, month and year boundaries when applying an offset", () => {
    expect(iso("2026-03-01T01:00:00+03:00")).toBe("2026-02-28T22:00:00.000Z");
    expect(iso("2026-12-31T22:30:00-02:00")).toBe("2027-01-01T00:30:00.000Z");
  });

  it("reads a value without a zone as UTC", () => {
    expect(iso("2026-11-28T10:00:00")).toBe("2026-11-28T10:00:00.000Z");
    expect(iso("2026-11-28 10:00:00")).toBe("2026-11-28T10:00:00.000Z");
    expect(iso("2026-11-28T10:00")).toBe("2026-11-28T10:00:00.000Z");
    expect(iso("2026-11-28")).toBe("2026-11-28T00:00:00.000Z");
  });

  it("keeps fractional seconds to the millisecond", () => {
    expect(iso("2026-11-28T10:00:00.5Z")).toBe("2026-11-28T10:00:00.500Z");
    expect(iso("2026-11-28T10:00:00.123Z")).toBe("2026-11-28T10:00:00.123Z");
    expect(iso("2026-11-28T10:00:00,123Z")).toBe("2026-11-28T10:00:00.123Z");
    // Microseconds are truncated to the millisecond (the stored precision), never rounded up.
    expect(iso("2026-11-28T10:00:00.123999Z")).toBe("2026-11-28T10:00:00.123Z");
    expect(iso("2026-11-28T10:00:00.999999+03:00")).toBe("2026-11-28T07:00:00.999Z");
  });

  it("accepts an offset whose `+` arrived as a space (unencoded in a query string)", () => {
    expect(iso("2026-11-28T10:00:00 03:00")).toBe("2026-11-28T07:00:00.000Z");
    expect(iso("2026-11-28T10:00:00 0300")).toBe("2026-11-28T07:00:00.000Z");
    expect(iso("2026-11-28T10:00:00.250 03:00")).toBe("2026-11-28T07:00:00.250Z");
    expect(iso("2026-11-28T10:00 03:00")).toBe("2026-11-28T07:00:00.000Z");
    // What URLSearchParams makes of `?created_date=2026-11-28T10:00:00+03:00`:
    const decoded = new URLSearchParams("created_date=2026-11-28T10:00:00+03:00").get("created_date") ?? "";
    expect(iso(decoded)).toBe("2026-11-28T07:00:00.000Z");
  });

  it("keeps years below 100 as written (not 19xx)", () => {
    expect(iso("0050-06-15T12:00:00Z")).toBe("0050-06-15T12:00:00.000Z");
    expect(iso("0001-01-01T00:00:00Z")).toBe("0001-01-01T00:00:00.000Z");
  });

  it.each([
    "",
    "garbage",
    "tomorrow",
    "1700000000",
    "2026-02-30T10:00:00Z",
    "2026-02-29T10:00:00Z",
    "2026-04-31T00:00:00",
    "2026-13-01T00:00:00Z",
    "2026-00-01T00:00:00Z",
    "2026-11-28T24:00:00Z",
    "2026-11-28T10:60:00Z",
    "2026-11-28T10:00:60Z",
    "2026-11-28T10:00:00+24:00",
    "2026-11-28T10:00:00+03:60",
    "2026-11-28T10:00:00+3",
    "2026-11-28T10",
    "2026-11-28T10:00:00ZZ",
    "2026-11-28T10:00:00 UTC",
    "2026-11-28T1:00:00Z",
    "28/11/2026 10:00",
    "0000-01-01T00:00:00Z",
    // Valid-looking, but outside what the database can hold once the offset is applied (year 0 / 10000):
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:30:00-01:00",
  ])("rejects %j with 'Enter a valid date/time.'", (text) => {
    expect(errorOf(parseDateTime, text)).toBe("Enter a valid date/time.");
  });
});
