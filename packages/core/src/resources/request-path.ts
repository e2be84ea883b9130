import { MAX_REQUEST_PATH_LENGTH } from "../contract";
import { messages } from "../contract/messages";
import { DomainError, invalid } from "../errors";
import { type CompiledFilters, compileFilters, paramsToRecord, type QueryParams } from "../filters/grammar";
import { PAGINATION_PARAMS } from "../filters/pagination";
import { RESOURCES, resourceByPath } from "./registry";
import type { Resource } from "./types";

export interface ResolvedRequestPath {
  resource: Resource;
  params: QueryParams;
  filters: CompiledFilters;
}

/**
 * An export's `request_path` → its registered list and filters: never a URL, a host, `..` or encoded
 * slashes, which could make it read something else. `limit`, `page`, `ordering` are ignored (every page).
 */
export function resolveRequestPath(requestPath: string): ResolvedRequestPath {
  const fail = (message: string): never => {
    throw invalid({ request_path: [message] });
  };
  const text = requestPath.trim();
  if (text.length === 0) fail("This field may not be blank.");
  if (text.length > MAX_REQUEST_PATH_LENGTH) fail(messages.maxLength(MAX_REQUEST_PATH_LENGTH));
  const q = text.indexOf("?");
  const pathname = q === -1 ? text : text.slice(0, q);
  const query = q === -1 ? "" : text.slice(q + 1);
  const known = RESOURCES.map((r) => r.path).join(", ");
  if (!pathname.startsWith("/") || pathname.startsWith("//") || /[\\%#\s]|\/\.\.?(\/|$)/.test(pathname)) {
    fail(`Enter the API path of an exportable list (${known}), not a URL.`);
  }
  const resource = resourceByPath(pathname);
  if (!resource) return fail(`Unknown resource path "${pathname}". Exportable lists: ${known}.`);
  if (query.includes("#")) fail("A request path may not contain a fragment (#).");
  let params: QueryParams;
  try {
    params = paramsToRecord(new URLSearchParams(query));
  } catch {
    return fail("The query string is not valid.");
  }
  try {
    const filters = compileFilters(resource.filterSpec, params, {
      unknown: "error",
      reserved: PAGINATION_PARAMS,
    });
    return { resource, params, filters };
  } catch (err) {
    if (err instanceof DomainError && err.fields) {
      const messages = Object.entries(err.fields).flatMap(([param, list]) =>
        list.map((m) => (m === "Unknown filter." ? `Unknown filter "${param}".` : `${param}: ${m}`)),
      );
      throw invalid({ request_path: messages });
    }
    throw err;
  }
}
