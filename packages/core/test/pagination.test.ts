import { describe, expect, it } from "vitest";
import { DEFAULT_LIMIT, MAX_LIMIT } from "../src/contract";
import { DomainError } from "../src/errors";
import { DEFAULT_EXPORT_ORDERING, exportOrderings } from "../src/exports/filters";
import { parsePageRequest } from "../src/filters/pagination";

// Parsing only; listExports' use of it against the database is covered in exports-service.test.ts.

const parse = (params: Record<string, string>) =>
  parsePageRequest(params, exportOrderings, DEFAULT_EXPORT_ORDERING);

function fieldsOf(fn: () => unknown): Record<string, string[]> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("INVALID");
    return (err as DomainError).fields ?? {};
  }
  throw new Error("expected an INVALID error");
}

const POSITIVE = "A valid positive integer is required.";

describe("parsePageRequest", () => {
  it("defaults to limit 100, page 1, newest first", () => {
    expect(DEFAULT_LIMIT).toBe(100);
    expect(MAX_LIMIT).toBe(1000);
    const p = parse({});
    expect(p).toMatchObject({ limit: 100, page: 1, offset: 0, ordering: "-created_date" });
    expect(p.orderBy).toBe(exportOrderings["-created_date"]);
  });

  it("treats empty values as absent", () => {
    expect(parse({ limit: "", page: " ", ordering: "" })).toMatchObject({
      limit: 100,
      page: 1,
      ordering: "-created_date",
    });
  });

  it("takes limit and page and computes the offset", () => {
    expect(parse({ limit: "20", page: "3" })).toMatchObject({ limit: 20, page: 3, offset: 40 });
    expect(parse({ limit: " 5 ", page: "1" })).toMatchObject({ limit: 5, page: 1, offset: 0 });
    expect(parse({ limit: "1" })).toMatchObject({ limit: 1 });
  });

  it("caps the limit at 1000 instead of refusing it", () => {
    expect(parse({ limit: "1000" }).limit).toBe(1000);
    expect(parse({ limit: "1001" }).limit).toBe(1000);
    expect(parse({ limit: "999999999", page: "2" })).toMatchObject({ limit: 1000, page: 2, offset: 1000 });
  });

  it("caps a limit of any length and takes a leading plus, as int() does", () => {
    expect(parse({ limit: "9999999999" })).toMatchObject({ limit: 1000 });
    expect(parse({ limit: "+5" })).toMatchObject({ limit: 5 });
    expect(parse({ page: "99999999999999999999" })).toMatchObject({ page: 1_000_000_000 });
  });

  it.each(["0", "-1", "abc", "1.5", "1e3", "0x10", "10 20", "00"])(
    "refuses limit=%j with an INVALID error keyed `limit`",
    (value) => {
      expect(fieldsOf(() => parse({ limit: value }))).toEqual({ limit: [POSITIVE] });
    },
  );

  it.each(["0", "-2", "abc", "2.0", "last"])(
    "refuses page=%j with an INVALID error keyed `page`",
    (value) => {
      expect(fieldsOf(() => parse({ page: value }))).toEqual({ page: [POSITIVE] });
    },
  );

  it("selects created_date and -created_date orderings", () => {
    const asc = parse({ ordering: "created_date" });
    expect(asc.ordering).toBe("created_date");
    expect(asc.orderBy).toBe(exportOrderings.created_date);
    const desc = parse({ ordering: "-created_date" });
    expect(desc.ordering).toBe("-created_date");
    expect(desc.orderBy).toBe(exportOrderings["-created_date"]);
  });

  it.each(["name", "id", "created_date,id", "--created_date", "toString", "__proto__"])(
    "refuses ordering=%j",
    (value) => {
      expect(fieldsOf(() => parse({ ordering: value }))).toEqual({
        ordering: [`Select a valid choice. ${value} is not one of the available choices.`],
      });
    },
  );

  it("reports every bad pagination parameter at once", () => {
    expect(fieldsOf(() => parse({ limit: "x", page: "0", ordering: "nope" }))).toEqual({
      limit: [POSITIVE],
      page: [POSITIVE],
      ordering: ["Select a valid choice. nope is not one of the available choices."],
    });
  });
});
