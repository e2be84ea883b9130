"use client";

import type { ExportDto } from "@exports/core/contract";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "~/trpc/client";
import { Modal } from "../dialog";
import { ErrorMessage } from "../messages";

/** "Cancel export" (superusers): asks first, then calls exports.cancel and refreshes what shows the export. */
export function CancelExportButton({ record, description }: { record: ExportDto; description: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const titleId = useId();
  const textId = useId();
  const cancel = useMutation(
    trpc.exports.cancel.mutationOptions({
      onSuccess: (updated) => {
        queryClient.setQueryData(trpc.exports.get.queryKey({ id: updated.id }), updated);
        void queryClient.invalidateQueries(trpc.exports.pathFilter());
        setOpen(false);
      },
      onError: () => {
        // Completed or failed in the meantime: show the current state behind the message.
        void queryClient.invalidateQueries(trpc.exports.pathFilter());
      },
    }),
  );
  return (
    <>
      <button
        type="button"
        className="button small danger-outline"
        onClick={() => {
          cancel.reset();
          setOpen(true);
        }}
      >
        Cancel export
      </button>
      <Modal open={open} onClose={() => setOpen(false)} labelledBy={titleId} describedBy={textId}>
        <div className="dialog-body">
          <h2 id={titleId}>Cancel this export?</h2>
          <p id={textId}>
            {description} will stop within one page and its parts will be deleted. No file will be produced.
            This cannot be undone.
          </p>
          {cancel.isError ? <ErrorMessage error={cancel.error} thing="this export" /> : null}
        </div>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => setOpen(false)}>
            Keep it running
          </button>
          <button
            type="button"
            className="button danger"
            disabled={cancel.isPending}
            onClick={() => cancel.mutate({ id: record.id })}
          >
            {cancel.isPending ? "Cancelling…" : "Yes, cancel export"}
          </button>
        </div>
      </Modal>
    </>
  );
}
