"use client";

import type { ExportFormat, ExportOptions, Language } from "@exports/core/contract";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage } from "../messages";
import { ScheduleFields, scheduleOf, useScheduleState } from "./schedule-fields";

export interface TemplateRequest {
  request_path: string;
  request_fields: string[];
  format_type: ExportFormat;
  language: Language;
  /** The dialog's file options (those differing from the defaults). */
  options?: ExportOptions;
}

/** "Save as template" in the export dialog: the dialog's choices under a name, with an optional schedule. */
export function SaveAsTemplate({ request, defaultName }: { request: TemplateRequest; defaultName: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(defaultName);
  const [incremental, setIncremental] = useState(false);
  const schedule = useScheduleState(null);
  const save = useMutation(
    trpc.templates.create.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries(trpc.templates.pathFilter()),
    }),
  );
  if (!open) {
    return (
      <button type="button" className="button" onClick={() => setOpen(true)}>
        Save as template…
      </button>
    );
  }
  return (
    <fieldset className="save-template">
      <legend>Save as template</legend>
      <label htmlFor={`${id}-name`}>Template name</label>
      <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} maxLength={255} />
      <ScheduleFields state={schedule} idPrefix={id} />
      <label>
        <input type="checkbox" checked={incremental} onChange={(e) => setIncremental(e.target.checked)} />{" "}
        Each run exports only the rows changed since the last successful run
      </label>
      {save.isError ? <ErrorMessage error={save.error} title="The template could not be saved." /> : null}
      {save.isSuccess ? (
        <p className="message success" role="status">
          Saved “{save.data.name}”. <Link href="/templates">Open Templates</Link>
        </p>
      ) : null}
      <div className="actions">
        <button
          type="button"
          className="button primary"
          disabled={save.isPending}
          onClick={() =>
            save.mutate({
              ...request,
              name,
              schedule: scheduleOf(schedule),
              only_changed_since_last_run: incremental,
            })
          }
        >
          {save.isPending ? "Saving…" : "Save template"}
        </button>
      </div>
    </fieldset>
  );
}
