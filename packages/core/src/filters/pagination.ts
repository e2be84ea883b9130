import type { SQL } from "drizzle-orm";
import { DEFAULT_LIMIT, MAX_LIMIT } from "../contract";
import { FieldErrorCollector } from "../errors";
import type { QueryParams } from "./grammar";

/** Array-API pagination (SPEC §2.5): `?limit=` (DEFAULT_LIMIT, capped at MAX_LIMIT) and `?page=` from 1. */
export const PAGINATION_PARAMS: ReadonlySet<string> = new Set(["limit", "page", "ordering"]);

export interface PageRequest {
  limit: number;
  page: number;
  offset: number;
  orderBy: SQL[];
  ordering: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  limit: number;
}

/** Highest page number taken as given; any higher page is past the end anyway (an empty page). */
const MAX_PAGE = 1_000_000_000;

/** A positive whole number of any length; capped at `cap` (a huge number is still a valid request). */
function positiveInt(text: string, cap: number): number | null {
  const t = text.trim();
  if (!/^\+?\d+$/.test(t)) return null;
  const n = Number(t.replace(/^\+/, ""));
  if (!(n >= 1)) return null;
  return Math.min(n, cap);
}

/**
 * A limit above the maximum is capped (as DRF's max_limit does) rather than refused; a limit or page that
 * is not a positive whole number is a 400 naming the parameter.
 */
export function parsePageRequest(
  params: QueryParams,
  orderings: Readonly<Record<string, SQL[]>>,
  defaultOrdering: string,
): PageRequest {
  const errors = new FieldErrorCollector();
  let limit = DEFAULT_LIMIT;
  let page = 1;
  let ordering = defaultOrdering;
  if (params.limit !== undefined && params.limit.trim() !== "") {
    const n = positiveInt(params.limit, MAX_LIMIT);
    if (n === null) errors.add("limit", "A valid positive integer is required.");
    else limit = n;
  }
  if (params.page !== undefined && params.page.trim() !== "") {
    const n = positiveInt(params.page, MAX_PAGE);
    if (n === null) errors.add("page", "A valid positive integer is required.");
    else page = n;
  }
  if (params.ordering !== undefined && params.ordering.trim() !== "") {
    const o = params.ordering.trim();
    if (Object.hasOwn(orderings, o)) ordering = o;
    else errors.add("ordering", `Select a valid choice. ${o} is not one of the available choices.`);
  }
  errors.throwIfAny();
  const orderBy = orderings[ordering] ?? [];
  return { limit, page, offset: (page - 1) * limit, orderBy, ordering };
}
