import { Readable } from "node:stream";
import { openDownload } from "@exports/core";
import { authed } from "~/server/rest/handler";
import { methodsNotAllowed } from "~/server/rest/respond";
import { getStorage } from "~/server/storage";

export const dynamic = "force-dynamic";

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
export const GET = authed<{ id: string }>(
  async ({ db, actor, params, req }) => {
    const download = await openDownload(db, getStorage(), actor, params.id);
    // The client going away stops the file read.
    req.signal?.addEventListener("abort", () => download.stream.destroy(), { once: true });
    return new Response(Readable.toWeb(download.stream) as ReadableStream<Uint8Array>, {
      status: 200,
      headers: {
        "Content-Type": download.contentType,
        "Content-Length": String(download.size),
        "Content-Disposition": contentDisposition(download.filename),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
      },
    });
  },
  { allowSession: true },
);

const { PUT, PATCH, DELETE, POST } = methodsNotAllowed(["GET"]);

export { DELETE, PATCH, POST, PUT };
