import { Readable } from "node:stream";
import { env, invalid, openDownload, openPartialDownload, recordDownload } from "@exports/core";
import { SESSION_COOKIE } from "../../auth/cookies";
import { getStorage } from "../../storage";
import { ifNoneMatchMatches, ifRangeMatches, notModified, quoteEtag } from "../http/conditional";
import { authed } from "../http/handler";
import { contentRange, parseRange } from "../http/range";
import { json } from "../http/respond";
import { COMMON_RESPONSES, detailResponse, ref } from "../openapi/components";
import { type Json, route } from "../route";

/** `attachment` with an ASCII fallback name and the exact name in RFC 5987 form (RFC 6266). */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * The result file of a completed export, streamed (SPEC §3), to its owner or a superuser; the session cookie
 * is accepted too, so that the dashboard's link (`result_file`) works in a browser. For download managers
 * (issue 12 §5): a strong ETag naming the file's bytes, one `Range` (../http/range.ts says what is ignored),
 * `If-Range` so that a resumed download of a changed file gets the whole new one. HEAD reads no byte.
 */
const download = authed<"id">(
  async ({ db, actor, params, req, url }) => {
    // Issue 17: `?partial=true` is what a failed export collected (core's exports/partial.ts).
    const partial = partialParam(url);
    const open = partial ? openPartialDownload : openDownload;
    const file = await open(db, getStorage(), actor, params.id);
    // The audit trail: one row per answer that hands over the file (not HEAD, 304 or 416).
    const audit = (status: number, range: string | null, bytes: number) =>
      req.method === "HEAD"
        ? Promise.resolve()
        : recordDownload(db, actor, params.id, { status, range, bytes, size: file.size, partial });
    const { DOWNLOAD_REDIRECT, DOWNLOAD_URL_TTL_SECONDS } = env();
    // DOWNLOAD_REDIRECT=presigned: after the same checks, the object store serves the file itself.
    if (DOWNLOAD_REDIRECT === "presigned" && file.presignedUrl) {
      const location = await file.presignedUrl(DOWNLOAD_URL_TTL_SECONDS, contentDisposition(file.filename));
      await audit(302, null, file.size);
      return new Response(null, {
        status: 302,
        headers: { Location: location, "Cache-Control": "private, no-store" },
      });
    }
    const etag = quoteEtag(file.version);
    // no-store: an export's rows are private data no cache should keep, the browser's included.
    const validators = { ETag: etag, "Cache-Control": "private, no-store" };
    const ifNoneMatch = req.headers.get("if-none-match");
    if (ifNoneMatch !== null && ifNoneMatchMatches(ifNoneMatch, etag)) return notModified(validators);

    const ifRange = req.headers.get("if-range");
    let range = parseRange(req.headers.get("range"), file.size);
    if (ifRange !== null && !ifRangeMatches(ifRange, etag)) range = { kind: "none" };
    const headers: Record<string, string> = {
      "Content-Type": file.contentType,
      "Content-Disposition": contentDisposition(file.filename),
      "Accept-Ranges": "bytes",
      ...validators,
      "X-Content-Type-Options": "nosniff",
    };
    if (range.kind === "unsatisfiable") {
      return json({ detail: `Range not satisfiable: the file has ${file.size} bytes.` }, 416, {
        ...validators,
        "Accept-Ranges": "bytes",
        "Content-Range": `bytes */${file.size}`,
      });
    }
    const part = range.kind === "range" ? range : undefined;
    const start = part?.start ?? 0;
    const end = part?.end ?? file.size;
    headers["Content-Length"] = String(end - start);
    if (part) headers["Content-Range"] = contentRange(start, end, file.size);
    // A client gone cancels this body (the node adapter), closing the file.
    await audit(part ? 206 : 200, part ? req.headers.get("range") : null, end - start);
    const body =
      req.method === "HEAD" ? null : (Readable.toWeb(file.read(part)) as ReadableStream<Uint8Array>);
    return new Response(body, { status: part ? 206 : 200, headers });
  },
  { allowSession: true },
);

/** `partial`: `true` or `1` (the collected part of a failed export), `false`, `0` or absent (the file). */
function partialParam(url: URL): boolean {
  const value = url.searchParams.get("partial");
  if (value === null || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  throw invalid({ partial: ["Must be a valid boolean."] });
}

function downloadOperation(): Json {
  const file = { schema: { type: "string", format: "binary" } };
  const content = {
    "text/csv": file,
    "application/json": file,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": file,
  };
  const fileHeaders = {
    "Content-Disposition": {
      description: "`attachment; filename=\"…\"; filename*=UTF-8''…`",
      schema: { type: "string" },
    },
    ETag: ref("headers", "ETag"),
    "Accept-Ranges": ref("headers", "Accept-Ranges"),
  };
  return {
    operationId: "exports_download",
    summary: "Download an export's file",
    description:
      "Streams the result file of a completed export, to its owner or a superuser (anyone else: 404). `result_file` holds this URL. Also accepts the dashboard's session cookie, so that the link works in a browser. A broken download resumes: ask for the rest with `Range: bytes=<received>-` and `If-Range: <the ETag>` (a file that changed meanwhile comes whole, with 200).",
    tags: ["Exports"],
    security: [{ Token: [] }, { Session: [] }],
    parameters: [
      ref("parameters", "id_path"),
      {
        name: "Range",
        in: "header",
        required: false,
        description:
          "One byte range: `bytes=<first>-<last>`, `bytes=<first>-` or `bytes=-<suffix length>` → 206. Several ranges, another unit or a malformed value are ignored (200, the whole file).",
        schema: { type: "string", example: "bytes=1048576-" },
      },
      {
        name: "If-Range",
        in: "header",
        required: false,
        description:
          "The `ETag` of the file the client has part of: the range is served only while the file is still that one; otherwise the whole file (200).",
        schema: { type: "string" },
      },
      ref("parameters", "If-None-Match"),
      {
        name: "partial",
        in: "query",
        required: false,
        description:
          "`true`: what a **failed** export collected before it failed, as a file of its format (named `…-partial.csv`, `.json`, `.xlsx`; an XLSX one is a valid workbook): its committed pages, assembled as they are read, never stored, so a later retry is not disturbed. Another status, or no row collected: 409; a CSV export to an object store written straight into its result's upload (direct mode) cannot be read before it completes: 409. Ranges work as on the whole file.",
        schema: { type: "boolean", default: false },
      },
    ],
    responses: {
      "200": {
        description: "The file, as an attachment named after the export.",
        headers: fileHeaders,
        content,
      },
      "206": {
        description: "The requested bytes of the file.",
        headers: {
          ...fileHeaders,
          "Content-Range": {
            description: "`bytes <first>-<last>/<size>`.",
            schema: { type: "string", example: "bytes 1048576-2097151/5242880" },
          },
        },
        content,
      },
      "302": {
        description:
          "With `DOWNLOAD_REDIRECT=presigned` (an s3:// storage): after the same checks, `Location` is a presigned URL of the file, valid `DOWNLOAD_URL_TTL_SECONDS`.",
        headers: {
          Location: { description: "The presigned URL.", schema: { type: "string", format: "uri" } },
        },
      },
      "304": ref("responses", "NotModified"),
      "400": ref("responses", "BadRequest"),
      ...COMMON_RESPONSES,
      "404": ref("responses", "404"),
      "409": ref("responses", "Conflict"),
      "410": ref("responses", "Gone"),
      "416": ref("responses", "RangeNotSatisfiable"),
    },
  };
}

const downloadComponents = () => ({
  securitySchemes: {
    Session: {
      type: "apiKey",
      in: "cookie",
      name: SESSION_COOKIE,
      description:
        "The dashboard's session cookie (sign in at /sign-in). Accepted by the download link only.",
    },
  },
  responses: {
    Gone: detailResponse(
      "The result file has expired or was removed.",
      "The export file is no longer available.",
    ),
    RangeNotSatisfiable: detailResponse(
      "No byte of the requested range exists (a first byte at or past the end, a suffix of 0 bytes, an empty file).",
      "Range not satisfiable: the file has 1234 bytes.",
      {
        "Content-Range": {
          description: "`bytes */<size>`: the file's size.",
          schema: { type: "string", example: "bytes */1234" },
        },
      },
    ),
  },
  headers: {
    "Accept-Ranges": { description: "`bytes`: a byte range may be asked for.", schema: { type: "string" } },
  },
});

export const downloadRoute = route("/api/v1/exports/{id}/download/", {
  GET: {
    handle: download,
    access: "exports:read",
    openapi: downloadOperation,
    components: downloadComponents,
  },
});
