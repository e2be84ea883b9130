"use client";

import { EXPORT_FORMATS, type ExportDto, isActive } from "@exports/core/contract";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import type { FormEvent } from "react";
import {
  FORMAT_LABELS,
  filtersOf,
  formatDateTime,
  LIVE_INTERVAL_MS,
  resourceKeyOf,
  STATUS_CHOICES,
  STATUS_LABELS,
} from "~/lib/exports";
import { DEFAULT_PAGE_SIZE, formToQuery, positiveInt, toListInput } from "~/lib/search-params";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage, Loading } from "../messages";
import { Pagination } from "../pagination";
import { useCurrentUser } from "../session";
import { CancelExportButton } from "./cancel-export";
import { LiveStatus, useLiveUpdates } from "./live-updates";
import { PartialDownloadLink, RetryExportButton } from "./retry-export";
import { ProgressBar, StatusBadge } from "./status";

const FILTER_PARAMS = ["status", "format_type", "created_date__date__gte", "created_date__date__lte"];

/** The exports the user may see (SPEC §2.8), filtered and paginated in the URL, live while any is active. */
export function ExportsView() {
  const trpc = useTRPC();
  const user = useCurrentUser();
  const live = useLiveUpdates();
  const params = useSearchParams();
  const pathname = usePathname();
  const router = useRouter();
  const limit = positiveInt(params.get("limit"), DEFAULT_PAGE_SIZE);
  const page = positiveInt(params.get("page"), 1);
  const input = { ...toListInput(params), limit: String(limit), page: String(page) };
  const list = useQuery(
    trpc.exports.list.queryOptions(input, {
      placeholderData: keepPreviousData,
      // Pushed by the live stream while it is up; without it, ask again every second, but only while
      // something listed is still moving.
      refetchInterval: (query) =>
        !live && query.state.data?.items.some((e) => isActive(e.status)) ? LIVE_INTERVAL_MS : false,
    }),
  );
  const filtered = FILTER_PARAMS.some((p) => params.get(p));

  function applyFilters(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    router.push(`${pathname}${formToQuery(event.currentTarget, { limit: params.get("limit") ?? "" })}`);
  }

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Exports</h1>
          <p>
            {user.is_superuser ? "Every user's exports" : "Your exports"}, newest first. Progress updates
            live. <LiveStatus />
          </p>
        </div>
        <div className="actions">
          <Link href="/products" className="button">
            Export products
          </Link>
          <Link href="/orders" className="button">
            Export orders
          </Link>
        </div>
      </div>

      <section className="card" aria-label="Filters">
        {/* Re-mounted whenever the URL changes, so the inputs always show the URL's filters (back button). */}
        <form key={params.toString()} className="filters" onSubmit={applyFilters} aria-label="Filter exports">
          <label className="field">
            Status
            <select name="status" defaultValue={params.get("status") ?? ""}>
              <option value="">Any status</option>
              <option value="pending">pending (not finished)</option>
              {STATUS_CHOICES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABELS[s]}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            Format
            <select name="format_type" defaultValue={params.get("format_type") ?? ""}>
              <option value="">Any format</option>
              {EXPORT_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {FORMAT_LABELS[f]}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            Created from
            <input
              type="date"
              name="created_date__date__gte"
              defaultValue={params.get("created_date__date__gte") ?? ""}
            />
          </label>
          <label className="field">
            Created to
            <input
              type="date"
              name="created_date__date__lte"
              defaultValue={params.get("created_date__date__lte") ?? ""}
            />
          </label>
          <div className="filter-actions">
            <button type="submit" className="button primary">
              Apply filters
            </button>
            {filtered ? (
              <Link href={pathname} className="button">
                Clear filters
              </Link>
            ) : null}
          </div>
        </form>
      </section>

      <section aria-labelledby="exports-table-title" style={{ marginTop: "1rem" }}>
        <h2 id="exports-table-title" className="visually-hidden">
          Export list
        </h2>
        {list.isError ? <ErrorMessage error={list.error} thing="the exports" /> : null}
        {list.isPending ? (
          <Loading label="Loading exports…" />
        ) : list.data && list.data.items.length === 0 ? (
          <div className="card empty">
            {filtered ? (
              <>
                <strong>No exports match these filters.</strong>
                <Link href={pathname}>Clear the filters</Link> to see every export.
              </>
            ) : (
              <>
                <strong>No exports yet…</strong>
                Open the <Link href="/products">products</Link> or <Link href="/orders">orders</Link> list,
                filter it, and choose “Export”.
              </>
            )}
          </div>
        ) : list.data ? (
          <>
            <ExportsTable
              items={list.data.items}
              owners={list.data.owners}
              showOwner={user.is_superuser}
              myId={user.id}
            />
            <Pagination
              total={list.data.total}
              page={list.data.page}
              limit={list.data.limit}
              noun="exports"
            />
          </>
        ) : null}
      </section>
    </>
  );
}

function describe(e: ExportDto) {
  return `The ${FORMAT_LABELS[e.format_type]} export of ${resourceKeyOf(e.request_path)} created ${formatDateTime(e.created_date)}`;
}

function ExportsTable({
  items,
  owners,
  showOwner,
  myId,
}: {
  items: ExportDto[];
  owners: Record<string, string>;
  showOwner: boolean;
  myId: string;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard.
    <section className="table-scroll" aria-label="Exports table" tabIndex={0}>
      <table>
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">Resource</th>
            <th scope="col">Status</th>
            <th scope="col">Format</th>
            <th scope="col">Progress</th>
            {showOwner ? <th scope="col">Owner</th> : null}
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => {
            const filters = filtersOf(e.request_path);
            return (
              <tr key={e.id} data-export-id={e.id}>
                <td className="nowrap">
                  <Link href={`/exports/${e.id}`}>{formatDateTime(e.created_date)}</Link>
                </td>
                <td>
                  <strong>{resourceKeyOf(e.request_path)}</strong>
                  <span className="request-path" title={e.request_path}>
                    {filters ? filters : "all records"}
                  </span>
                </td>
                <td>
                  <StatusBadge status={e.status} />
                </td>
                <td>{FORMAT_LABELS[e.format_type]}</td>
                <td>
                  <ProgressBar collected={e.collected_count} total={e.total_count} status={e.status} />
                </td>
                {showOwner ? (
                  <td className="nowrap">
                    {e.requested_by === myId ? (
                      "you"
                    ) : (
                      <span title={e.requested_by}>
                        {owners[e.requested_by] ?? e.requested_by.slice(0, 8)}
                      </span>
                    )}
                  </td>
                ) : null}
                <td>
                  <div className="actions">
                    <Link href={`/exports/${e.id}`} className="button small">
                      Details
                      <span className="visually-hidden">
                        {" "}
                        of the export created {formatDateTime(e.created_date)}
                      </span>
                    </Link>
                    {e.status === "completed" && e.result_file ? (
                      <a href={e.result_file} className="button small primary" download>
                        Download
                      </a>
                    ) : null}
                    <RetryExportButton record={e} small />
                    <PartialDownloadLink record={e} small />
                    {showOwner && isActive(e.status) ? (
                      <CancelExportButton record={e} description={describe(e)} />
                    ) : null}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
