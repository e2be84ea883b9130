import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "../src/env";

describe("CORS_ORIGINS", () => {
  it("is empty by default: no origin may call the REST API from a browser page", () => {
    expect(parseEnv({}).CORS_ORIGINS).toEqual([]);
    expect(parseEnv({ CORS_ORIGINS: "" }).CORS_ORIGINS).toEqual([]);
  });

  it("takes exact origins, comma-separated, spaces and empty entries ignored", () => {
    expect(
      parseEnv({ CORS_ORIGINS: " https://app.example.com,, http://localhost:5173 ,http://[::1]:8080" })
        .CORS_ORIGINS,
    ).toEqual(["https://app.example.com", "http://localhost:5173", "http://[::1]:8080"]);
  });

  it.each([
    "*",
    "null",
    "app.example.com",
    "https://app.example.com/",
    "https://app.example.com/path",
    "https://APP.example.com",
    "https://app.example.com:443",
    "ftp://files.example.com",
  ])("refuses %s, naming the variable", (value) => {
    expect(() => parseEnv({ CORS_ORIGINS: `https://ok.example.com,${value}` })).toThrow(EnvError);
    expect(() => parseEnv({ CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS/);
  });
});
