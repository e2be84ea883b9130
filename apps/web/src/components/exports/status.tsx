import type { ExportStatus } from "@exports/core/contract";
import { STATUS_LABELS } from "~/lib/exports";

export function StatusBadge({ status }: { status: ExportStatus }) {
  return <span className={`badge badge-${status}`}>{STATUS_LABELS[status]}</span>;
}

/** `collected_count` of `total_count`, as a progressbar (valued in records) and as text. */
export function ProgressBar({
  collected,
  total,
  status,
  label = "Export progress",
}: {
  collected: number;
  total: number;
  status: ExportStatus;
  label?: string;
}) {
  const done = status === "completed";
  const pct = total > 0 ? Math.min(100, Math.floor((collected / total) * 100)) : done ? 100 : 0;
  const notStarted = status === "waiting" && total === 0 && collected === 0;
  const text = notStarted
    ? "not started"
    : `${collected.toLocaleString("en")} / ${total.toLocaleString("en")} (${pct}%)`;
  const fill = done ? "done" : status === "failed" || status === "cancelled" ? "stopped" : "";
  return (
    <div className="progress">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={collected}
        aria-valuetext={notStarted ? "Not started" : `${collected} of ${total} records (${pct}%)`}
        className="progress-track"
      >
        <div className={`progress-fill ${fill}`} style={{ width: `${pct}%` }} />
      </div>
      <span className="progress-text" aria-hidden="true">
        {text}
      </span>
    </div>
  );
}
