"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTimeCompact } from "~/lib/exports";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage, Loading } from "../messages";

const STATUS_BADGE = {
  pending: "badge-waiting",
  succeeded: "badge-completed",
  failed: "badge-failed",
} as const;

/** An endpoint's delivery log: what was sent, how often, what the receiver answered, what is next. */
export function WebhookDeliveries({ id }: { id: string }) {
  const trpc = useTRPC();
  const deliveries = useQuery(trpc.webhooks.deliveries.queryOptions({ id }, { refetchInterval: 5000 }));
  if (deliveries.isPending) return <Loading label="Loading deliveries…" />;
  if (deliveries.isError) return <ErrorMessage error={deliveries.error} thing="the deliveries" />;
  if (deliveries.data.length === 0) return <p className="muted">Nothing delivered yet.</p>;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard.
    <section className="table-scroll" aria-label="Deliveries" tabIndex={0}>
      <table>
        <thead>
          <tr>
            <th scope="col">Created (UTC)</th>
            <th scope="col">Event</th>
            <th scope="col">Export</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
            <th scope="col">Next attempt (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.data.map((d) => (
            <tr key={d.id} data-delivery-id={d.id}>
              <td className="nowrap">{formatDateTimeCompact(d.created_date)}</td>
              <td>
                <code>{d.event_type}</code>
              </td>
              <td>
                {d.export_id ? <Link href={`/exports/${d.export_id}`}>{d.export_id.slice(0, 8)}</Link> : "—"}
              </td>
              <td>
                <span className={`badge ${STATUS_BADGE[d.status]}`}>{d.status}</span>
              </td>
              <td>{d.attempts}</td>
              <td>{d.last_status_code ?? d.last_error ?? "—"}</td>
              <td className="nowrap">{formatDateTimeCompact(d.next_attempt_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
