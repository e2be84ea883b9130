"use client";

import { type ExportDto, isActive } from "@exports/core/contract";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import {
  FORMAT_LABELS,
  filtersOf,
  formatDateTime,
  LIVE_INTERVAL_MS,
  languageName,
  resourceKeyOf,
} from "~/lib/exports";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage, Loading } from "../messages";
import { useCurrentUser } from "../session";
import { CancelExportButton } from "./cancel-export";
import { ExportEvents } from "./export-events";
import { LiveStatus, useLiveUpdates } from "./live-updates";
import { PartialDownloadLink, RetryExportButton } from "./retry-export";
import { ProgressBar, StatusBadge } from "./status";

/** One export with every field of its record, its parts and timestamps; live while it is active. */
export function ExportDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const user = useCurrentUser();
  const live = useLiveUpdates();
  const query = useQuery(
    trpc.exports.get.queryOptions(
      { id },
      {
        // Pushed by the live stream while it is up; polled while it is down.
        refetchInterval: (q) =>
          !live && q.state.data && isActive(q.state.data.status) ? LIVE_INTERVAL_MS : false,
      },
    ),
  );

  if (query.isPending) return <Loading label="Loading the export…" />;
  if (query.isError && !query.data) {
    return (
      <>
        <p>
          <Link href="/exports">← All exports</Link>
        </p>
        <h1>Export</h1>
        <ErrorMessage error={query.error} thing="this export" />
      </>
    );
  }
  const e = query.data;
  const resource = resourceKeyOf(e.request_path);
  const active = isActive(e.status);
  return (
    <>
      <p>
        <Link href="/exports">← All exports</Link>
      </p>
      <div className="page-header">
        <div>
          <h1>
            {FORMAT_LABELS[e.format_type]} export of {resource}
          </h1>
          <p>
            Created {formatDateTime(e.created_date)}
            {active ? " · updating live" : ""} <LiveStatus />
          </p>
        </div>
        <div className="actions">
          {e.status === "completed" && e.result_file ? (
            <a href={e.result_file} className="button primary" download>
              Download
            </a>
          ) : null}
          <PartialDownloadLink record={e} />
          <RetryExportButton record={e} />
          {user.is_superuser && active ? (
            <CancelExportButton
              record={e}
              description={`This ${FORMAT_LABELS[e.format_type]} export of ${resource}`}
            />
          ) : null}
        </div>
      </div>

      {query.isError ? <ErrorMessage error={query.error} thing="this export" /> : null}

      <section className="card" aria-label="Status">
        <div className="detail-summary">
          <span>
            Status: <StatusBadge status={e.status} />
          </span>
          <ProgressBar collected={e.collected_count} total={e.total_count} status={e.status} />
        </div>
        {e.status === "failed" ? (
          <div className="message error" role="alert">
            <p>
              <strong>The export failed.</strong> {e.error_message ?? "No reason was recorded."}
            </p>
            {e.collected_count > 0 ? (
              <p>
                {e.collected_count.toLocaleString("en")} records were collected before it failed: Retry goes
                on from there.
              </p>
            ) : null}
          </div>
        ) : null}
        {e.status === "cancelled" ? (
          <div className="message info">
            <p>This export was cancelled. No file was produced.</p>
          </div>
        ) : null}
        {e.fail_count > 0 ? (
          <div className="message info">
            <p>
              {e.fail_count.toLocaleString("en")} record{e.fail_count === 1 ? "" : "s"} could not be written
              and
              {e.fail_count === 1 ? " was" : " were"} skipped.
            </p>
          </div>
        ) : null}
      </section>

      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        <ExportEvents id={e.id} version={`${e.status} ${e.modified_date}`} />
      </section>

      <section className="card" aria-labelledby="fields-title">
        <h2 id="fields-title">Record</h2>
        <RecordFields record={e} />
      </section>

      <section className="card" aria-labelledby="parts-title">
        <h2 id="parts-title">Parts</h2>
        {e.uploaded_parts.length === 0 ? (
          <p className="muted">
            {e.status === "completed"
              ? "The parts were assembled into the file and removed."
              : active
                ? "No part written yet."
                : "No parts."}
          </p>
        ) : (
          <ol className="parts">
            {e.uploaded_parts.map((part) => (
              <li key={part}>
                <code>{part}</code>
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

const DELIMITER_NAMES: Record<string, string> = { ",": "comma", ";": "semicolon", "\t": "tab" };

/** The options an export is written with (issue 17), in words: `semicolon, decimal comma, Europe/Istanbul, …`. */
function optionsText(o: ExportDto["options"]): string {
  return [
    `${DELIMITER_NAMES[o.delimiter] ?? o.delimiter} delimiter`,
    `decimal ${o.decimal_separator === "," ? "comma" : "point"}`,
    `date-times in ${o.timezone}`,
    o.include_header ? "header row" : "no header row",
    o.compression === "gzip" ? "gzip" : "not compressed",
  ].join(", ");
}

function RecordFields({ record: e }: { record: ExportDto }) {
  const filters = filtersOf(e.request_path);
  const rows: Array<[string, ReactNode]> = [
    ["ID", <code key="id">{e.id}</code>],
    ["Status", <StatusBadge key="status" status={e.status} />],
    ["Format", `${FORMAT_LABELS[e.format_type]} (${e.format_type})`],
    ["Language", languageName(e.language)],
    ["File options", optionsText(e.options)],
    ["Template", e.template ? <code key="template">{e.template}</code> : "—"],
    ["Request path", <code key="path">{e.request_path}</code>],
    ["Filters", filters || "none: every record"],
    ["Fields", e.request_fields.length > 0 ? e.request_fields.join(", ") : "the resource's default fields"],
    ["Collected", e.collected_count.toLocaleString("en")],
    ["Total", e.total_count.toLocaleString("en")],
    ["Failed records", e.fail_count.toLocaleString("en")],
    ["Next page", String(e.page)],
    ["Last record id", String(e.last_instance_id)],
    ["Viewset", e.viewset ?? "—"],
    ["Action", e.action_name ?? "—"],
    ["Requested by", <code key="by">{e.requested_by}</code>],
    ["Filter file", e.filter_file ?? "—"],
    ["Result file", e.result_file ? <code key="file">{e.result_file}</code> : "—"],
    ["Error message", e.error_message ?? "—"],
    ["Created", formatDateTime(e.created_date)],
    ["Modified", formatDateTime(e.modified_date)],
  ];
  return (
    <dl className="detail-grid">
      {rows.map(([label, value]) => (
        <div key={label} style={{ display: "contents" }}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
