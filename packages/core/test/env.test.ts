import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "../src/env";
import { storageLocationOf } from "../src/storage";

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

describe("STORAGE_URL and the AWS SDK's variables", () => {
  const s3 = { STORAGE_URL: "s3://my-bucket/exports/prod", AWS_REGION: "eu-central-1" };

  it("takes file:///abs/path and s3://bucket/prefix", () => {
    expect(storageLocationOf(parseEnv({ STORAGE_URL: "file:///srv/exports" }))).toEqual({
      kind: "file",
      dir: "/srv/exports",
    });
    expect(storageLocationOf(parseEnv(s3))).toEqual({
      kind: "s3",
      bucket: "my-bucket",
      prefix: "exports/prod",
    });
    expect(storageLocationOf(parseEnv({ ...s3, STORAGE_URL: "s3://my-bucket" }))).toEqual({
      kind: "s3",
      bucket: "my-bucket",
      prefix: "",
    });
    // Unset: the folder, as before.
    expect(storageLocationOf(parseEnv({ DATA_DIR: "/d" }))).toEqual({ kind: "file", dir: "/d/storage" });
  });

  it.each([
    [{ STORAGE_URL: "https://bucket" }, /STORAGE_URL: must be file:/],
    [{ STORAGE_URL: "file://host/x" }, /STORAGE_URL: a file: URL names a local folder/],
    [
      { STORAGE_URL: "s3://Bad_Bucket", AWS_REGION: "x" },
      /STORAGE_URL: "bad_bucket" is not a valid bucket name|STORAGE_URL: "Bad_Bucket"/,
    ],
    [
      { STORAGE_URL: "s3://user:pw@bucket/x", AWS_REGION: "x" },
      /STORAGE_URL: s3:\/\/bucket\/prefix takes no/,
    ],
    [{ STORAGE_URL: "s3://my-bucket" }, /AWS_REGION: required with an s3:\/\/ STORAGE_URL/],
    [
      { ...s3, AWS_ACCESS_KEY_ID: "AKIA" },
      /AWS_SECRET_ACCESS_KEY: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together/,
    ],
    [{ ...s3, AWS_ENDPOINT_URL_S3: "minio:9000" }, /AWS_ENDPOINT_URL_S3: must be an http\(s\) URL/],
    [{ ...s3, S3_FORCE_PATH_STYLE: "yes" }, /S3_FORCE_PATH_STYLE/],
    [{ ...s3, STORAGE_DIR: "/x" }, /STORAGE_DIR: set STORAGE_URL or STORAGE_DIR, not both/],
    [{ DOWNLOAD_REDIRECT: "presigned" }, /DOWNLOAD_REDIRECT: presigned needs an s3:\/\/ STORAGE_URL/],
    [{ ...s3, DOWNLOAD_URL_TTL_SECONDS: "0" }, /DOWNLOAD_URL_TTL_SECONDS/],
  ])("refuses %o with a message naming the variable", (source, message) => {
    expect(() => parseEnv(source as Record<string, string>)).toThrow(message);
  });
});

describe("SMTP_URL, MAIL_FROM, APP_URL (issue 16's emails)", () => {
  const mail = {
    SMTP_URL: "smtp://user:pass@mail.example.com:587",
    MAIL_FROM: "Exports <exports@example.com>",
    APP_URL: "https://exports.example.com/",
  };

  it("are optional together; set, they are read (APP_URL without its trailing slash)", () => {
    expect(parseEnv({}).SMTP_URL).toBeUndefined();
    const env = parseEnv(mail);
    expect(env).toMatchObject({ ...mail, APP_URL: "https://exports.example.com" });
    expect(env.MAIL_RETRY_SCHEDULE).toEqual([30, 300, 1800]);
    expect(parseEnv({ ...mail, MAIL_FROM: "exports@example.com" }).MAIL_FROM).toBe("exports@example.com");
  });

  it.each([
    [{ SMTP_URL: "http://mail.example.com" }, /SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/],
    [{ MAIL_FROM: "Exports" }, /MAIL_FROM: must be an address/],
    [{ MAIL_FROM: "Exports <nobody>" }, /MAIL_FROM: must be an address/],
    [{ APP_URL: "exports.example.com" }, /APP_URL: must be an http\(s\) URL/],
    [{ MAIL_FROM: undefined }, /MAIL_FROM: required with SMTP_URL/],
    [{ APP_URL: undefined }, /APP_URL: required with SMTP_URL/],
    [{ MAIL_RETRY_SCHEDULE: "30,soon" }, /MAIL_RETRY_SCHEDULE/],
  ])("refuses %o, naming the variable", (change, message) => {
    expect(() => parseEnv({ ...mail, ...change })).toThrow(message);
  });
});
