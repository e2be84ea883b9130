import { Readable } from "node:stream";
import { openDownload } from "@exports/core";
import { ifNoneMatchMatches, ifRangeMatches, notModified, quoteEtag } from "../http/conditional";
import { contentRange, parseRange } from "../http/range";
import type { Endpoint } from "../http/route";
import { authed } from "../rest/handler";
import { json } from "../rest/respond";
import { getStorage } from "../storage";

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
 * GET /api/v1/exports/{id}/download/ — the result file of a completed export, streamed (SPEC §3); owner or
 * superuser. Errors (404, 409 not completed, 410 file gone) are JSON like every other. Besides the token, the
 * dashboard's session cookie is accepted, so that its "Download" link (`result_file`) works in a browser.
 *
 * HTTP for download managers (issue 12 §5): a strong ETag naming the file's bytes (`If-None-Match` → 304),
 * `Accept-Ranges: bytes`, one `Range` → 206 with exactly those bytes (416 when unsatisfiable; see
 * ../http/range.ts for what is ignored), and `If-Range` so that a resumed download of a file that changed gets
 * the whole new file. HEAD gets the same headers without opening the file.
 */
const download = authed<"id">(
  async ({ db, actor, params, req }) => {
    const file = await openDownload(db, getStorage(), actor, params.id);
    const etag = quoteEtag(file.version);
    // no-store: an export's rows are private data that no cache, the browser's included, should keep.
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
    // A client that goes away cancels this body (the web server's adapter), which closes the file.
    const body =
      req.method === "HEAD" ? null : (Readable.toWeb(file.read(part)) as ReadableStream<Uint8Array>);
    return new Response(body, { status: part ? 206 : 200, headers });
  },
  { allowSession: true },
);

/** /api/v1/exports/{id}/download/ */
export const downloadEndpoint: Endpoint = { GET: download };
