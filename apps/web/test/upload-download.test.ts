import { mkdtempSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ExportDto } from "@exports/core";
import { DEFAULT_ENGINE_CONFIG, LocalStorage, runOnce } from "@exports/core/node";
import { seedProducts } from "@exports/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_FORM_PARTS, MAX_MULTIPART_BODY_BYTES } from "~/server/rest/http/multipart";
import { API_SECURITY_HEADERS } from "~/server/security-headers";
import { contractClient } from "./contract";
import { endlessBody, fileHarness, type TestUser } from "./harness";

// The routes find their storage through getStorage() (STORAGE_DIR, read once by env()): point it at a
// folder of this file's own before anything reads the environment.
const STORAGE_DIR = mkdtempSync(path.join(os.tmpdir(), "exports-web-upload-"));
process.env.STORAGE_DIR = STORAGE_DIR;
const storage = new LocalStorage(STORAGE_DIR);

const h = fileHarness();
const { api } = contractClient(h);
/** A user whose every request is refused: nothing may ever be stored for them. */
let rejected: TestUser;

beforeAll(async () => {
  rejected = await h.addUser("rejected");
  await seedProducts(h.db, 300);
});

afterAll(async () => {
  await rm(STORAGE_DIR, { recursive: true, force: true });
});

const sku = (n: number) => `SKU-${String(n).padStart(8, "0")}`;

interface FormFields {
  [key: string]: string | string[] | Blob | { blob: Blob; name: string } | undefined;
}

/** A multipart body, as a browser or `curl -F` sends it (FormData in a real Request). */
function form(fields: FormFields): FormData {
  const fd = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) fd.append(key, v);
    else if (typeof value === "string") fd.append(key, value);
    else if (value instanceof Blob) fd.append(key, value);
    else fd.append(key, value.blob, value.name);
  }
  return fd;
}

const upload = (content: string | Uint8Array<ArrayBuffer>, name = "skus.txt") => ({
  blob: new Blob([content], { type: "text/plain" }),
  name,
});

const create = (user: TestUser, fields: FormFields) =>
  api("POST", "/api/v1/exports/", { token: user.token, rawBody: form(fields) });

async function uploadsOf(id: string): Promise<string[]> {
  try {
    return await readdir(path.join(STORAGE_DIR, "uploads", id));
  } catch {
    return [];
  }
}

async function filterKeys(exportId?: string): Promise<string[]> {
  const { rows } = await h.testDb.pool.query<{ value: string }>(
    "select value from export_filter_keys where $1::uuid is null or export_id = $1",
    [exportId ?? null],
  );
  return rows.map((r) => r.value).sort();
}

const filterKeyCount = async () => (await filterKeys()).length;

/** A CSV result's rows (our files: BOM, CRLF, no quoting needed for these values). */
const csvRows = (data: Buffer) =>
  data
    .toString("utf8")
    .replace(/^\uFEFF/, "")
    .trimEnd()
    .split("\r\n")
    .map((line) => line.split(","));

async function allUploads(): Promise<number> {
  try {
    return (await readdir(path.join(STORAGE_DIR, "uploads"))).length;
  } catch {
    return 0;
  }
}

/** Runs the engine in-process until nothing is runnable. */
async function drain() {
  const deps = {
    db: h.db,
    pool: h.testDb.pool,
    storage,
    config: { ...DEFAULT_ENGINE_CONFIG, pageSize: 13, backoffMs: 10 },
  };
  for (let i = 0; i < 1000; i++) if (!(await runOnce(deps, `web-test:${i}`))) return;
  throw new Error("the engine did not finish");
}

describe("create with a filter file (multipart)", () => {
  it("answers 201 with the record; filter_file names the stored upload; request_fields keep their order", async () => {
    const content = `${sku(5)}\r\n${sku(40)}\r\n${sku(40)}\r\nNOPE\r\n`;
    const res = await create(h.alice, {
      request_path: "/api/v1/products/?is_active=true",
      request_fields: ["sku", "id", "name"],
      format_type: "json",
      language: "tr",
      filter_file: upload(content),
    });
    expect(res.status).toBe(201);
    const dto = res.body as ExportDto;
    expect(dto).toMatchObject({
      request_path: "/api/v1/products/?is_active=true",
      request_fields: ["sku", "id", "name"],
      format_type: "json",
      language: "tr",
      requested_by: h.alice.id,
      status: "waiting",
      filter_file: `uploads/${dto.id}/skus.txt`,
    });
    expect(await uploadsOf(dto.id)).toEqual(["skus.txt"]);
    expect(await readFile(path.join(STORAGE_DIR, dto.filter_file ?? ""), "utf8")).toBe(content);
    const row = await h.findExport(dto.id);
    expect(row?.filterKeyField).toBe("sku");
    expect(await filterKeys(dto.id)).toEqual(["NOPE", sku(5), sku(40)]);
    // The record reads back the same through retrieve.
    const again = await api("GET", `/api/v1/exports/${dto.id}/`, { token: h.alice.token });
    expect(again.body).toEqual(dto);
  });

  it("takes a single request_fields value as a list of one, and empty values as absent", async () => {
    const res = await create(h.alice, {
      request_path: "/api/v1/products/",
      request_fields: "name",
      format_type: "",
      language: "",
      action_name: "",
      filter_file: upload("id\n1\n2\n", "ids.csv"),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      request_fields: ["name"],
      format_type: "csv",
      language: "en",
      action_name: "export_products",
    });
    expect((await h.findExport((res.body as ExportDto).id))?.filterKeyField).toBe("id");
    const empty = await create(h.alice, { request_path: "/api/v1/products/", request_fields: ["", ""] });
    expect(empty.status).toBe(201);
    expect((empty.body as ExportDto).request_fields).toEqual([]);
  });

  it("creates like the JSON body when the multipart has no file (or an empty file input)", async () => {
    for (const [i, filterFile] of [undefined, { blob: new Blob([]), name: "" }].entries()) {
      const res = await create(h.alice, {
        request_path: `/api/v1/products/?id__lte=${3 + i}`,
        request_fields: ["id", "sku"],
        filter_file: filterFile,
      });
      expect(res.status).toBe(201);
      const dto = res.body as ExportDto;
      expect(dto.filter_file).toBeNull();
      expect((await h.findExport(dto.id))?.filterKeyField).toBeNull();
      expect(await uploadsOf(dto.id)).toEqual([]);
    }
  });

  it("sanitises the stored file's name", async () => {
    const res = await create(h.alice, {
      request_path: "/api/v1/products/",
      filter_file: upload(sku(1), "../../Ürün listesi (son).txt"),
    });
    expect(res.status).toBe(201);
    const dto = res.body as ExportDto;
    expect(dto.filter_file).toBe(`uploads/${dto.id}/Urun_listesi_son_.txt`);
  });

  describe("refused (400 with field errors; nothing stored)", () => {
    const cases: Array<[string, FormFields, Record<string, string[]>]> = [
      [
        "a CSV header without a key column",
        { request_path: "/api/v1/products/", filter_file: upload("name,price\nMug,3\n", "x.csv") },
        {
          filter_file: [
            "The filter file has no column named sku or id. Name the key column in the first line, or upload one identifier per line.",
          ],
        },
      ],
      [
        "an invalid id",
        { request_path: "/api/v1/products/", filter_file: upload("id\n1\nseven\n") },
        { filter_file: ['Line 3: "seven" is not a valid id (a whole number).'] },
      ],
      [
        "a binary file",
        {
          request_path: "/api/v1/products/",
          filter_file: upload(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0])),
        },
        { filter_file: ["The filter file is not UTF-8 text. Upload a .txt or .csv file in UTF-8."] },
      ],
      [
        "an empty file",
        { request_path: "/api/v1/products/", filter_file: upload("", "empty.txt") },
        { filter_file: ["The submitted file is empty."] },
      ],
      [
        "text where the file belongs",
        { request_path: "/api/v1/products/", filter_file: "SKU-00000001" },
        { filter_file: ["The submitted data was not a file. Check the encoding type on the form."] },
      ],
      [
        "every problem at once",
        {
          request_path: "/api/v1/products/?colour=red",
          request_fields: ["sku", "sku"],
          format_type: "xml",
          filter_file: upload(new Uint8Array([0xff, 0xfe, 0x41])),
        },
        {
          request_path: ['Unknown filter "colour".'],
          format_type: ['"xml" is not a valid choice.'],
          filter_file: ["The filter file is not UTF-8 text. Upload a .txt or .csv file in UTF-8."],
        },
      ],
      [
        // Issue 12 §3: a valid path, and every other part wrong: each reported, in one 400.
        "a bad format, an unknown field and a bad file (issue 12)",
        {
          request_path: "/api/v1/products/",
          request_fields: ["nope"],
          format_type: "pdf",
          filter_file: upload("id\nseven\n"),
        },
        {
          request_fields: [
            'Unknown field "nope". Fields of /api/v1/products/: id, sku, name, price, currency, stock, is_active, attributes, created_date, modified_date.',
          ],
          format_type: ['"pdf" is not a valid choice.'],
          filter_file: ['Line 2: "seven" is not a valid id (a whole number).'],
        },
      ],
    ];
    it.each(cases)("%s", async (_, fields, expected) => {
      const before = { keys: await filterKeyCount(), uploads: await allUploads() };
      const res = await create(rejected, fields);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(expected);
      expect(await h.countExports(rejected)).toBe(0);
      expect({ keys: await filterKeyCount(), uploads: await allUploads() }).toEqual(before);
    });

    it("too many identifiers", async () => {
      const ids = Array.from({ length: 1_000_001 }, (_, i) => String(i + 1)).join("\n");
      const res = await create(rejected, {
        request_path: "/api/v1/products/",
        filter_file: upload(`id\n${ids}\n`),
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        filter_file: ["The filter file has more than 1,000,000 identifiers; split it into several exports."],
      });
      expect(await h.countExports(rejected)).toBe(0);
    });

    it("a file over 10 MB inside the body limit", async () => {
      const res = await create(rejected, {
        request_path: "/api/v1/products/",
        filter_file: upload(new Uint8Array(10 * 1024 * 1024 + 1).fill(0x41)),
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        filter_file: ["The filter file is too large (10 MB); the limit is 10 MB."],
      });
      expect(await h.countExports(rejected)).toBe(0);
    });

    it("a malformed multipart body", async () => {
      const res = await api("POST", "/api/v1/exports/", {
        token: rejected.token,
        rawBody: "--nope\r\nnot a part",
        headers: { "Content-Type": "multipart/form-data; boundary=other" },
      });
      expect(res.status).toBe(400);
      expect((res.body as { detail: string }).detail).toMatch(/^Multipart form parse error - /);
    });
  });

  it("accepts a form of MAX_FORM_PARTS parts (unknown keys are ignored)", async () => {
    const fields: FormFields = { request_path: "/api/v1/products/", format_type: "json" };
    for (let i = 0; Object.keys(fields).length < MAX_FORM_PARTS; i++) fields[`extra_${i}`] = "x";
    const res = await create(h.bob, fields);
    expect(res.status).toBe(201);
    expect((res.body as ExportDto).format_type).toBe("json");
  });

  it("answers 413 for a form of too many parts at once, without reading the rest (issue 12)", async () => {
    // 40,000 distinct fields once cost 13 s of CPU, every other request waiting: now the parts are counted
    // while the body streams in, and the request ends at part MAX_FORM_PARTS + 1.
    const encoder = new TextEncoder();
    const part = (i: number) =>
      encoder.encode(`--b\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`);
    const total = 40_000;
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(part(-1));
        // 100 parts a chunk, as a client would stream them.
        for (let j = 0; j < 100 && sent < total; j++) controller.enqueue(part(sent++));
        if (sent >= total) {
          controller.enqueue(encoder.encode("--b--\r\n"));
          controller.close();
        }
      },
    });
    const res = await api("POST", "/api/v1/exports/", {
      token: rejected.token,
      rawBody: stream,
      headers: { "Content-Type": "multipart/form-data; boundary=b" },
    });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      detail: `The form has more than ${MAX_FORM_PARTS} parts (fields and files).`,
    });
    expect(sent).toBeLessThan(total / 10);
    expect(await h.countExports(rejected)).toBe(0);
  });

  it("refuses a file sent in a text field and ignores the bytes of files under unknown keys", async () => {
    const res = await create(rejected, {
      request_path: "/api/v1/products/",
      format_type: upload("csv", "format.txt"),
      action_name: upload("name", "name.txt"),
      other: upload("whatever", "other.bin"),
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      format_type: ['"format.txt" is not a valid choice.'],
      action_name: ["Not a valid string."],
    });
  });

  it("answers 413 for a body over the limit, declared or streamed, storing nothing", async () => {
    expect(MAX_MULTIPART_BODY_BYTES).toBe(11 * 1024 * 1024);
    const before = await allUploads();
    const big = await create(rejected, {
      request_path: "/api/v1/products/",
      filter_file: upload(new Uint8Array(MAX_MULTIPART_BODY_BYTES).fill(0x41)),
    });
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ detail: `Request body is larger than ${MAX_MULTIPART_BODY_BYTES} bytes.` });
    const declared = await api("POST", "/api/v1/exports/", {
      token: rejected.token,
      rawBody: "x",
      headers: {
        "Content-Type": "multipart/form-data; boundary=b",
        "Content-Length": String(MAX_MULTIPART_BODY_BYTES + 1),
      },
    });
    expect(declared.status).toBe(413);
    // Streamed without a length: the reader stops at the limit instead of buffering everything.
    const head = new TextEncoder().encode(
      '--b\r\nContent-Disposition: form-data; name="filter_file"; filename="a.txt"\r\n\r\n',
    );
    const { stream, pulled } = endlessBody(
      head,
      new Uint8Array(256 * 1024).fill(0x41),
      2 * MAX_MULTIPART_BODY_BYTES,
    );
    const streamed = await api("POST", "/api/v1/exports/", {
      token: rejected.token,
      rawBody: stream,
      headers: { "Content-Type": "multipart/form-data; boundary=b" },
    });
    expect(streamed.status).toBe(413);
    expect(streamed.body).toEqual({
      detail: `Request body is larger than ${MAX_MULTIPART_BODY_BYTES} bytes.`,
    });
    expect(pulled()).toBeLessThan(2 * MAX_MULTIPART_BODY_BYTES);
    expect(await h.countExports(rejected)).toBe(0);
    expect(await allUploads()).toBe(before);
  });
});

describe("the export restricted by its file, downloaded (GET /api/v1/exports/{id}/download/)", () => {
  let done: ExportDto;
  /** Records named by the file and listed by the request path, in id order. */
  const expectedIds = [24, 36, 48, 72, 84, 96, 108, 132];

  beforeAll(async () => {
    // 12 is not listed (id__gt=20), 60 and 120 are inactive, 999999 does not exist; SKU 24 is named twice.
    const named = [12, 24, 36, 48, 60, 72, 84, 96, 108, 120, 132, 999_999];
    const csv = `Name;SKU\n${[...named]
      .reverse()
      .map((n) => `"Item; ${n}";${sku(n)}`)
      .join("\n")}\n;${sku(24)}\n`;
    const res = await create(h.alice, {
      request_path: "/api/v1/products/?is_active=true&id__gt=20",
      request_fields: ["id", "sku"],
      filter_file: upload(csv, "wanted.csv"),
    });
    expect(res.status).toBe(201);
    await drain();
    const got = await api("GET", `/api/v1/exports/${(res.body as ExportDto).id}/`, { token: h.alice.token });
    done = got.body as ExportDto;
    expect(done.status).toBe("completed");
  });

  const download = (id: string, user: TestUser | null) =>
    h.send("GET", `/api/v1/exports/${id}/download/`, { token: user?.token ?? null });

  it("streams the result to the owner with its type, name and length; result_file is that URL", async () => {
    expect(done.result_file).toBe(`/api/v1/exports/${done.id}/download/`);
    const res = await h.send("GET", done.result_file ?? "", { token: h.alice.token });
    expect(res.status).toBe(200);
    const row = await h.findExport(done.id);
    const filename = path.posix.basename(row?.resultKey ?? "");
    expect(filename).toMatch(/^products-export-\d{8}-\d{6}-[0-9a-f]{8}\.csv$/);
    const stored = Buffer.concat(await storage.read(row?.resultKey ?? "").toArray());
    expect(Object.fromEntries(res.headers)).toEqual({
      "content-type": "text/csv; charset=utf-8",
      "content-length": String(stored.length),
      "content-disposition": `attachment; filename="${filename}"; filename*=UTF-8''${filename}`,
      "cache-control": "private, no-store",
      // Resumable, with a strong validator (issue 12 §5; http-caching.test.ts).
      "accept-ranges": "bytes",
      etag: expect.stringMatching(/^"[A-Za-z0-9_-]+"$/),
      // The API door's security headers (nosniff among them).
      ...Object.fromEntries(API_SECURITY_HEADERS.map((e) => [e.key.toLowerCase(), e.value])),
    });
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(stored)).toBe(true);
    const [header, ...rows] = csvRows(body);
    expect(header).toEqual(["ID", "SKU"]);
    expect(rows).toEqual(expectedIds.map((id) => [String(id), sku(id)]));
    expect(done.total_count).toBe(expectedIds.length);
  });

  it("answers the same without the trailing slash, and to a superuser", async () => {
    const plain = await h.send("GET", `/api/v1/exports/${done.id}/download`, { token: h.alice.token });
    expect(plain.status).toBe(200);
    await plain.arrayBuffer();
    const root = await download(done.id, h.root);
    expect(root.status).toBe(200);
    expect(root.headers.get("content-disposition")).toMatch(/^attachment; filename="products-export-/);
    expect((await root.arrayBuffer()).byteLength).toBe(Number(root.headers.get("content-length")));
  });

  it("hides another user's export and a non-UUID id behind 404", async () => {
    for (const [id, user] of [
      [done.id, h.bob],
      ["12", h.alice],
      ["not-a-uuid", h.root],
      ["6f1c3b0e-2a4d-4e8f-9b7a-1c2d3e4f5a6b", h.root],
    ] as const) {
      const res = await api("GET", `/api/v1/exports/${id}/download/`, { token: user.token });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: "Not found." });
    }
  });

  it("requires authentication", async () => {
    const res = await api("GET", `/api/v1/exports/${done.id}/download/`, { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Token");
    expect(res.body).toEqual({ detail: "Authentication credentials were not provided." });
  });

  it("answers 409 for an export that is not completed", async () => {
    for (const status of ["waiting", "processing", "failed", "cancelled"] as const) {
      const e = await h.insertExport(h.alice, { status });
      const res = await api("GET", `/api/v1/exports/${e.id}/download/`, { token: h.alice.token });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ detail: `Export is not completed (status: ${status}).` });
    }
  });

  it("answers 405 JSON with Allow for other methods", async () => {
    const res = await api("POST", `/api/v1/exports/${done.id}/download/`, { token: h.alice.token });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(res.body).toEqual({ detail: 'Method "POST" not allowed.' });
  });

  it("serves JSON and XLSX results with their types", async () => {
    for (const [format, type, ext] of [
      ["json", "application/json; charset=utf-8", "json"],
      ["xls", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"],
    ] as const) {
      const res = await create(h.alice, {
        request_path: "/api/v1/products/",
        request_fields: ["id"],
        format_type: format,
        filter_file: upload("id\n3\n1\n2\n"),
      });
      await drain();
      const file = await download((res.body as ExportDto).id, h.alice);
      expect(file.status).toBe(200);
      expect(file.headers.get("content-type")).toBe(type);
      expect(file.headers.get("content-disposition")).toMatch(new RegExp(`\\.${ext}"; filename\\*=`));
      const bytes = Buffer.from(await file.arrayBuffer());
      expect(bytes.length).toBe(Number(file.headers.get("content-length")));
      if (format === "json")
        expect(JSON.parse(bytes.toString("utf8"))).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
      else expect(bytes.subarray(0, 2).toString("latin1")).toBe("PK");
    }
  });

  it("answers 410 when the result file is gone", async () => {
    const res = await create(h.alice, { request_path: "/api/v1/products/?id__lte=2" });
    await drain();
    const id = (res.body as ExportDto).id;
    const row = await h.findExport(id);
    expect(row?.status).toBe("completed");
    await storage.remove(row?.resultKey ?? "");
    const gone = await api("GET", `/api/v1/exports/${id}/download/`, { token: h.alice.token });
    expect(gone.status).toBe(410);
    expect(gone.body).toEqual({ detail: "The export file is no longer available." });
  });
});
