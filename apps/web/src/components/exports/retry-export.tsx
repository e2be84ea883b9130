"use client";

import { type ExportDto, offersPartialDownload, partialDownloadPath } from "@exports/core/contract";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage } from "../messages";

/**
 * "Retry" on a failed export (its owner or a superuser: whoever sees it): tRPC exports.retry, which goes on from
 * the last committed page under the same id; what shows the export is refreshed with the answer.
 */
export function RetryExportButton({ record, small = false }: { record: ExportDto; small?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const retry = useMutation(
    trpc.exports.retry.mutationOptions({
      onSuccess: (updated) => {
        queryClient.setQueryData(trpc.exports.get.queryKey({ id: updated.id }), updated);
        void queryClient.invalidateQueries(trpc.exports.pathFilter());
      },
      onError: () => {
        void queryClient.invalidateQueries(trpc.exports.pathFilter());
      },
    }),
  );
  if (record.status !== "failed") return null;
  return (
    <>
      <button
        type="button"
        className={small ? "button small" : "button"}
        disabled={retry.isPending}
        onClick={() => retry.mutate({ id: record.id })}
      >
        {retry.isPending ? "Retrying…" : "Retry"}
        <span className="visually-hidden"> the failed export from its last collected page</span>
      </button>
      {retry.isError ? <ErrorMessage error={retry.error} thing="this export" /> : null}
    </>
  );
}

/** "Download what was collected": a failed export's committed pages as a file (`?partial=true`). */
export function PartialDownloadLink({ record, small = false }: { record: ExportDto; small?: boolean }) {
  if (!offersPartialDownload(record)) return null;
  return (
    <a href={partialDownloadPath(record.id)} className={small ? "button small" : "button"} download>
      Download what was collected
      <span className="visually-hidden"> ({record.collected_count.toLocaleString("en")} records)</span>
    </a>
  );
}
