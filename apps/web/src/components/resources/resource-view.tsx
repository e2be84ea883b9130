"use client";

import type { FieldDescription, ResourceDescription } from "@exports/core/contract";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { formatDateTimeCompact } from "~/lib/exports";
import { DEFAULT_PAGE_SIZE, filterQuery, positiveInt, toListInput } from "~/lib/search-params";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage, Loading } from "../messages";
import { Pagination } from "../pagination";
import { ExportDialog } from "./export-dialog";
import { ResourceFilters } from "./filters";

export type ResourceKey = "products" | "orders";

function cell(field: FieldDescription, value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  switch (field.type) {
    case "boolean":
      return value ? "Yes" : "No";
    case "datetime":
      return formatDateTimeCompact(String(value));
    case "integer":
      return typeof value === "number" ? value.toLocaleString("en") : String(value);
    case "json":
      return JSON.stringify(value);
    default:
      return String(value);
  }
}

const isNumeric = (f: FieldDescription) => f.type === "integer" || f.type === "decimal";

/** An exportable list (products, orders): the registry's fields and filters, paginated, with "Export". */
export function ResourceView({ resourceKey, title }: { resourceKey: ResourceKey; title: string }) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const limit = positiveInt(params.get("limit"), DEFAULT_PAGE_SIZE);
  const page = positiveInt(params.get("page"), 1);
  const resources = useQuery(
    trpc.resources.list.queryOptions(undefined, { staleTime: Number.POSITIVE_INFINITY }),
  );
  const procedure = resourceKey === "products" ? trpc.products.list : trpc.orders.list;
  const list = useQuery(
    procedure.queryOptions(
      { ...toListInput(params), limit: String(limit), page: String(page) },
      { placeholderData: keepPreviousData },
    ),
  );
  const [exporting, setExporting] = useState(false);
  const resource = resources.data?.find((r) => r.key === resourceKey);
  const query = filterQuery(params);

  return (
    <>
      <div className="page-header">
        <div>
          <h1>{title}</h1>
          <p>
            {list.data
              ? `${list.data.total.toLocaleString("en")} ${resourceKey} match`
              : `The ${resourceKey} list`}
            {query ? " the current filters" : ""}. “Export” captures exactly this list, across all pages.
          </p>
        </div>
        <button
          type="button"
          className="button primary"
          onClick={() => setExporting(true)}
          disabled={!resource}
          aria-haspopup="dialog"
        >
          Export
        </button>
      </div>

      {resources.isError ? <ErrorMessage error={resources.error} thing="the list's description" /> : null}
      {resource ? <ResourceFilters resource={resource} /> : resources.isPending ? <Loading /> : null}

      <section aria-labelledby="records-title" style={{ marginTop: "1rem" }}>
        <h2 id="records-title" className="visually-hidden">
          {title}
        </h2>
        {list.isError ? <ErrorMessage error={list.error} thing={`the ${resourceKey}`} /> : null}
        {list.isPending || !resource ? (
          list.isError ? null : (
            <Loading label={`Loading ${resourceKey}…`} />
          )
        ) : list.data && list.data.items.length === 0 ? (
          <div className="card empty">
            <strong>No {resourceKey} match these filters.</strong>
            Change or clear the filters to see more.
          </div>
        ) : list.data ? (
          <>
            <RecordsTable resource={resource} items={list.data.items} title={title} />
            <Pagination
              total={list.data.total}
              page={list.data.page}
              limit={list.data.limit}
              noun={resourceKey}
            />
          </>
        ) : null}
      </section>

      {resource ? (
        <ExportDialog
          open={exporting}
          onClose={() => setExporting(false)}
          resource={resource}
          filterQuery={query}
          total={list.data?.total ?? null}
        />
      ) : null}
    </>
  );
}

function RecordsTable({
  resource,
  items,
  title,
}: {
  resource: ResourceDescription;
  items: Array<Record<string, unknown>>;
  title: string;
}) {
  const columns = resource.fields.filter((f) => f.type !== "json");
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard.
    <section className="table-scroll" aria-label={`${title} table`} tabIndex={0}>
      <table>
        <thead>
          <tr>
            {columns.map((f) => (
              <th key={f.name} scope="col" className={isNumeric(f) ? "num" : undefined}>
                {f.labels.en}
                {f.type === "datetime" ? <span className="muted"> (UTC)</span> : null}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={String(item.id)}>
              {columns.map((f) => (
                <td
                  key={f.name}
                  className={isNumeric(f) ? "num" : f.type === "datetime" ? "nowrap" : undefined}
                >
                  {cell(f, item[f.name])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
