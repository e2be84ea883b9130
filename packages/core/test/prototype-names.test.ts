import { describe, expect, it } from "vitest";
import { DomainError } from "../src/errors";
import { exportFilterSpec } from "../src/exports/filters";
import { compileFilters, paramsToRecord } from "../src/filters/grammar";
import { productsResource } from "../src/resources/products";

/** Found by the property-based tests: names of Object.prototype members must be plain names. */
describe("parameters named like Object.prototype members", () => {
  it.each(["valueOf", "toString", "constructor", "hasOwnProperty", "__proto__"])(
    "%s is an unknown filter (400), not a crash",
    (name) => {
      const params = paramsToRecord(new URLSearchParams(`${name}=1`));
      expect(Object.keys(params)).toEqual([name]);
      try {
        compileFilters(productsResource.filterSpec, params, { unknown: "error" });
        throw new Error("expected a refusal");
      } catch (err) {
        expect(err).toBeInstanceOf(DomainError);
        expect((err as DomainError).fields?.[name]).toEqual(["Unknown filter."]);
      }
    },
  );

  it.each(["constructor", "toString", "__proto__"])("status=%s is an invalid choice", (value) => {
    try {
      compileFilters(exportFilterSpec, { status: value }, { unknown: "ignore" });
      throw new Error("expected a refusal");
    } catch (err) {
      expect((err as DomainError).fields).toEqual({
        status: [`Select a valid choice. ${value} is not one of the available choices.`],
      });
    }
  });
});
