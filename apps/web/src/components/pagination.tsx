"use client";

import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useId } from "react";
import { PAGE_SIZES, withParams } from "~/lib/search-params";

/** Pages of a list, kept in the URL (`limit`, `page`): links, so the back button walks them. */
export function Pagination({
  total,
  page,
  limit,
  noun,
}: {
  total: number;
  page: number;
  limit: number;
  noun: string;
}) {
  const pathname = usePathname();
  const router = useRouter();
  const params = useSearchParams();
  const sizeId = useId();
  const pages = Math.max(1, Math.ceil(total / limit));
  const first = total === 0 ? 0 : (page - 1) * limit + 1;
  const last = Math.min(total, page * limit);
  const href = (p: number) => `${pathname}${withParams(params, { page: p === 1 ? null : String(p) })}`;
  return (
    <nav className="pagination" aria-label={`Pages of ${noun}`}>
      <p className="muted" aria-live="polite">
        {total === 0
          ? `No ${noun}`
          : `Showing ${first.toLocaleString("en")}–${last.toLocaleString("en")} of ${total.toLocaleString("en")} ${noun} · page ${page} of ${pages.toLocaleString("en")}`}
      </p>
      <div className="actions">
        <label htmlFor={sizeId} className="muted">
          Rows per page
        </label>
        <select
          id={sizeId}
          value={String(limit)}
          onChange={(e) =>
            router.push(`${pathname}${withParams(params, { limit: e.target.value, page: null })}`)
          }
        >
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        {page > 1 ? (
          <Link className="button small" href={href(page - 1)} rel="prev">
            Previous
          </Link>
        ) : (
          <span className="button small" aria-disabled="true">
            Previous
          </span>
        )}
        {page < pages ? (
          <Link className="button small" href={href(page + 1)} rel="next">
            Next
          </Link>
        ) : (
          <span className="button small" aria-disabled="true">
            Next
          </span>
        )}
      </div>
    </nav>
  );
}
