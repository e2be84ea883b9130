import { Readable } from "node:stream";
import { openDownload } from "@exports/core";
import type { Endpoint } from "../http/route";
import { authed } from "../rest/handler";
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
 */
const download = authed<"id">(
  async ({ db, actor, params }) => {
    const file = await openDownload(db, getStorage(), actor, params.id);
    // A client that goes away cancels this body (the web server's adapter), which closes the file.
    return new Response(Readable.toWeb(file.stream) as ReadableStream<Uint8Array>, {
      status: 200,
      headers: {
        "Content-Type": file.contentType,
        "Content-Length": String(file.size),
        "Content-Disposition": contentDisposition(file.filename),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
      },
    });
  },
  { allowSession: true },
);

/** /api/v1/exports/{id}/download/ */
export const downloadEndpoint: Endpoint = { GET: download };
