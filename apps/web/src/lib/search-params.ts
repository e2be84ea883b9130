// Every list page keeps its filters and pagination in the URL.

export const PAGE_SIZES = [10, 25, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 25;

/** Parameters that move through a list, never part of what it lists (and so never of an export). */
export const PAGING_PARAMS = ["limit", "page"] as const;

/** The URL's parameters as the flat record a list procedure takes, empty values left out. */
export function toListInput(params: URLSearchParams, defaults: Record<string, string> = {}) {
  const out: Record<string, string> = { ...defaults };
  for (const [k, v] of params) if (v.trim() !== "") out[k] = v;
  return out;
}

/** The URL's filters only (no limit, page): what an export of the list must capture. */
export function filterQuery(params: URLSearchParams): string {
  const out = new URLSearchParams();
  for (const [k, v] of params) {
    if ((PAGING_PARAMS as readonly string[]).includes(k) || v.trim() === "") continue;
    out.append(k, v);
  }
  return out.toString();
}

export function positiveInt(text: string | null, fallback: number): number {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
}

/** `?query` of `params` with `changes` applied (null/empty removes a parameter); "" when nothing is left. */
export function withParams(params: URLSearchParams, changes: Record<string, string | null>): string {
  const out = new URLSearchParams(params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === "") out.delete(k);
    else out.set(k, v);
  }
  const text = out.toString();
  return text ? `?${text}` : "";
}

/** Form fields → `?query`, keeping only filled-in values (and `keep`); "" when nothing is left. */
export function formToQuery(form: HTMLFormElement, keep: Record<string, string> = {}): string {
  const out = new URLSearchParams();
  for (const [k, v] of new FormData(form)) {
    if (typeof v === "string" && v.trim() !== "") out.set(k, v.trim());
  }
  for (const [k, v] of Object.entries(keep)) if (v) out.set(k, v);
  const text = out.toString();
  return text ? `?${text}` : "";
}
