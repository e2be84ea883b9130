import { conflict, EnvError, invalid } from "@exports/core";
import { describe, expect, it } from "vitest";
import { UsageError } from "../src/args";
import { errorMessage, exitCodeFor } from "../src/output";

describe("errorMessage", () => {
  it("shows a domain error's fields or detail", () => {
    expect(errorMessage(invalid({ username: ["Taken."], password: ["Short.", "Weak."] }))).toBe(
      "username: Taken.; password: Short. Weak.",
    );
    expect(errorMessage(conflict("Export is already completed."))).toBe("Export is already completed.");
  });

  it("unwraps pg's AggregateError and drizzle's query wrapper", () => {
    const refused = Object.assign(new Error(""), { code: "ECONNREFUSED" });
    expect(errorMessage(new AggregateError([refused], ""))).toBe("ECONNREFUSED");
    const wrapped = new Error("Failed query: insert into products …\nparams: 1,2", {
      cause: new Error("integer out of range"),
    });
    expect(errorMessage(wrapped)).toBe("database error: integer out of range");
  });

  it("keeps messages on one line", () => {
    expect(errorMessage(new Error("a\n  b"))).toBe("a b");
  });
});

describe("exitCodeFor", () => {
  it("is 2 for the command line, 1 for everything else", () => {
    expect(exitCodeFor(new UsageError("x"))).toBe(2);
    expect(exitCodeFor(invalid({ username: ["Taken."] }))).toBe(1);
    expect(exitCodeFor(new EnvError("x"))).toBe(1);
    expect(exitCodeFor(new Error("x"))).toBe(1);
  });
});
