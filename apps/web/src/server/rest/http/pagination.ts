import type { Page } from "@exports/core";
import { jsonText } from "./respond";

/**
 * A page as array APIs serve it (SPEC §2.5): the body is the JSON array; `X-Total-Count` and an RFC 8288
 * `Link` header (first, prev, next, last) carry the rest.
 */
export function pageResponse<T>(url: URL, page: Page<T>): Response {
  return pageJsonResponse(url, { ...page, json: JSON.stringify(page.items) });
}

/** pageResponse of items already serialised (`json`: their JSON array). */
export function pageJsonResponse(url: URL, page: Omit<Page<never>, "items"> & { json: string }): Response {
  const lastPage = Math.max(1, Math.ceil(page.total / page.limit));
  const link = (p: number, rel: string) => {
    const u = new URL(url);
    u.searchParams.set("page", String(p));
    u.searchParams.set("limit", String(page.limit));
    return `<${u.pathname}${u.search}>; rel="${rel}"`;
  };
  const links = [link(1, "first")];
  if (page.page > 1) links.push(link(Math.min(page.page - 1, lastPage), "prev"));
  if (page.page < lastPage) links.push(link(page.page + 1, "next"));
  links.push(link(lastPage, "last"));
  return jsonText(page.json, 200, {
    "X-Total-Count": String(page.total),
    Link: links.join(", "),
  });
}
