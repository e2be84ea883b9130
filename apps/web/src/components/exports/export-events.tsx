"use client";

import type { ExportEventDto } from "@exports/core/contract";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { formatDateTime } from "~/lib/exports";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage, Loading } from "../messages";

const TYPE_LABELS: Record<ExportEventDto["type"], string> = {
  created: "Created",
  started: "Started",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  retried: "Retried",
  downloaded: "Downloaded",
};

/** What the event's detail says, in words. */
function describe(event: ExportEventDto): string {
  const d = event.detail as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === "number" ? v.toLocaleString("en") : "?");
  switch (event.type) {
    case "created":
      return d.template ? `from saved export ${String(d.template).slice(0, 8)}` : "";
    case "completed":
    case "cancelled":
      return `${n(d.collected_count)} records collected`;
    case "failed":
      return `${n(d.collected_count)} records collected · ${String(d.message ?? "no message")}`;
    case "retried":
      return d.resumed ? `from page ${n(d.page)} (${n(d.collected_count)} records kept)` : "from the start";
    case "downloaded": {
      const what = d.partial ? "the collected part" : "the file";
      const bytes = d.range ? `${String(d.range)}, ${n(d.bytes)} bytes` : `${n(d.bytes)} bytes`;
      return `${what} · ${String(d.status)} · ${bytes}`;
    }
    default:
      return "";
  }
}

/** Who did it: a user, or the system (the workers' steps; a schedule's runs). */
function who(event: ExportEventDto): string {
  if (event.actor_username) return event.actor_username;
  if (event.type === "created") return "schedule";
  return event.actor ? event.actor.slice(0, 8) : "system";
}

/** The export's audit trail (tRPC exports.events), refreshed whenever the export changes. */
export function ExportEvents({ id, version }: { id: string; version: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const events = useQuery(trpc.exports.events.queryOptions({ id }));
  // A change of the export (pushed live, or polled) may have added an event: read the trail again.
  const seen = useRef(version);
  useEffect(() => {
    if (seen.current === version) return;
    seen.current = version;
    void queryClient.invalidateQueries({ queryKey: trpc.exports.events.queryKey({ id }) });
  }, [version, id, queryClient, trpc]);
  if (events.isPending) return <Loading label="Loading the history…" />;
  if (events.isError) return <ErrorMessage error={events.error} thing="this export's history" />;
  if (events.data.length === 0) return <p className="muted">No events recorded.</p>;
  return (
    <table className="events">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Event</th>
          <th scope="col">By</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {events.data.map((event) => (
          <tr key={event.id}>
            <td className="nowrap">{formatDateTime(event.created_date)}</td>
            <td>{TYPE_LABELS[event.type]}</td>
            <td>{who(event)}</td>
            <td>{describe(event)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
