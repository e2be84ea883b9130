"use client";

import type { TemplateDto } from "@exports/core/contract";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { FORMAT_LABELS, filtersOf, formatDateTime, resourceKeyOf } from "~/lib/exports";
import { useTRPC } from "~/trpc/client";
import { Modal } from "../dialog";
import { ErrorMessage, Loading } from "../messages";
import { ExportOptionsFields, optionsOf, optionsStateOf } from "../resources/export-options";
import { useCurrentUser } from "../session";
import { ScheduleFields, scheduleOf, useScheduleState } from "./schedule-fields";

/** Saved exports (issue 17): run now, edit, pause or resume the schedule, delete. */
export function TemplatesView() {
  const trpc = useTRPC();
  const user = useCurrentUser();
  const list = useQuery(trpc.templates.list.queryOptions({ limit: "1000" }));
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Templates</h1>
          <p>
            {user.is_superuser ? "Every user's saved exports" : "Your saved exports"}: run one now, or let its
            schedule run it. Save one from the Export dialog of a list.
          </p>
        </div>
      </div>
      {list.isError ? <ErrorMessage error={list.error} thing="the templates" /> : null}
      {list.isPending ? <Loading /> : null}
      {list.data && list.data.items.length === 0 ? (
        <div className="empty">
          No templates yet. Open the <Link href="/products">products</Link> or{" "}
          <Link href="/orders">orders</Link> list, choose “Export”, then “Save as template…”.
        </div>
      ) : null}
      {list.data && list.data.items.length > 0 ? (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard.
        <section className="table-scroll" aria-label="Templates table" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Exports</th>
                <th scope="col">Schedule</th>
                <th scope="col">Next run</th>
                <th scope="col">Last run</th>
                {user.is_superuser ? <th scope="col">Owner</th> : null}
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((t) => (
                <TemplateRow key={t.id} template={t} showOwner={user.is_superuser} />
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </>
  );
}

function TemplateRow({ template: t, showOwner }: { template: TemplateDto; showOwner: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const refresh = () => void queryClient.invalidateQueries(trpc.templates.pathFilter());
  const run = useMutation(
    trpc.templates.run.mutationOptions({
      onSuccess: (created) => {
        refresh();
        void queryClient.invalidateQueries(trpc.exports.pathFilter());
        router.push(`/exports/${created.id}`);
      },
    }),
  );
  const pause = useMutation(trpc.templates.update.mutationOptions({ onSuccess: refresh }));
  const filters = filtersOf(t.request_path);
  return (
    <tr data-template-id={t.id}>
      <th scope="row">{t.name}</th>
      <td>
        <strong>{resourceKeyOf(t.request_path)}</strong>{" "}
        <span className="request-path" title={t.request_path}>
          {filters ? filters : "all records"}
        </span>{" "}
        · {FORMAT_LABELS[t.format_type]}
        {t.only_changed_since_last_run ? " · changed rows only" : ""}
      </td>
      <td>
        {t.schedule ? (
          <>
            <code>{t.schedule.cron}</code> {t.schedule.timezone}
            {t.paused ? <span className="badge"> paused</span> : null}
          </>
        ) : (
          "by hand"
        )}
      </td>
      <td className="nowrap">{t.next_run_at ? formatDateTime(t.next_run_at) : "—"}</td>
      <td className="nowrap">{t.last_run_at ? formatDateTime(t.last_run_at) : "never"}</td>
      {showOwner ? <td>{t.owner_username}</td> : null}
      <td>
        <div className="actions">
          <button
            type="button"
            className="button small primary"
            disabled={run.isPending}
            onClick={() => run.mutate({ id: t.id })}
          >
            Run now<span className="visually-hidden"> {t.name}</span>
          </button>
          {t.schedule ? (
            <button
              type="button"
              className="button small"
              disabled={pause.isPending}
              onClick={() => pause.mutate({ id: t.id, patch: { paused: !t.paused } })}
            >
              {t.paused ? "Resume" : "Pause"}
              <span className="visually-hidden"> {t.name}</span>
            </button>
          ) : null}
          <EditTemplate template={t} onSaved={refresh} />
          <DeleteTemplate template={t} onDeleted={refresh} />
        </div>
        {run.isError ? <ErrorMessage error={run.error} title="The run could not start." /> : null}
        {pause.isError ? <ErrorMessage error={pause.error} /> : null}
      </td>
    </tr>
  );
}

function EditTemplate({ template: t, onSaved }: { template: TemplateDto; onSaved: () => void }) {
  const trpc = useTRPC();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(t.name);
  const [incremental, setIncremental] = useState(t.only_changed_since_last_run);
  const schedule = useScheduleState(t.schedule);
  const [options, setOptions] = useState(() => optionsStateOf(t.options));
  const save = useMutation(
    trpc.templates.update.mutationOptions({
      onSuccess: () => {
        onSaved();
        setOpen(false);
      },
    }),
  );
  return (
    <>
      <button type="button" className="button small" onClick={() => setOpen(true)}>
        Edit<span className="visually-hidden"> {t.name}</span>
      </button>
      <Modal open={open} onClose={() => setOpen(false)} labelledBy={`${id}-title`}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({
              id: t.id,
              patch: {
                name,
                schedule: scheduleOf(schedule),
                only_changed_since_last_run: incremental,
                // The fields' options; a template's `language_defaults` is kept (the fields do not show it).
                options: {
                  ...(t.options.language_defaults === true ? { language_defaults: true } : {}),
                  ...optionsOf(options, t.format_type),
                },
              },
            });
          }}
        >
          <div className="dialog-body">
            <h2 id={`${id}-title`}>Edit “{t.name}”</h2>
            <label htmlFor={`${id}-name`}>Template name</label>
            <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} maxLength={255} />
            <ScheduleFields state={schedule} idPrefix={id} />
            <label>
              <input
                type="checkbox"
                checked={incremental}
                onChange={(e) => setIncremental(e.target.checked)}
              />{" "}
              Each run exports only the rows changed since the last successful run
            </label>
            <ExportOptionsFields format={t.format_type} state={options} onChange={setOptions} />
            {save.isError ? (
              <ErrorMessage error={save.error} title="The template could not be saved." />
            ) : null}
          </div>
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => setOpen(false)}>
              Close
            </button>
            <button type="submit" className="button primary" disabled={save.isPending}>
              {save.isPending ? "Saving…" : "Save"}
            </button>
          </div>
        </form>
      </Modal>
    </>
  );
}

function DeleteTemplate({ template: t, onDeleted }: { template: TemplateDto; onDeleted: () => void }) {
  const trpc = useTRPC();
  const id = useId();
  const [open, setOpen] = useState(false);
  const remove = useMutation(
    trpc.templates.delete.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        onDeleted();
      },
    }),
  );
  return (
    <>
      <button type="button" className="button small danger-outline" onClick={() => setOpen(true)}>
        Delete<span className="visually-hidden"> {t.name}</span>
      </button>
      <Modal open={open} onClose={() => setOpen(false)} labelledBy={`${id}-title`}>
        <div className="dialog-body">
          <h2 id={`${id}-title`}>Delete “{t.name}”?</h2>
          <p>Its schedule stops. The exports it made stay.</p>
          {remove.isError ? <ErrorMessage error={remove.error} /> : null}
        </div>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => setOpen(false)}>
            Keep it
          </button>
          <button
            type="button"
            className="button danger"
            disabled={remove.isPending}
            onClick={() => remove.mutate({ id: t.id })}
          >
            Delete template
          </button>
        </div>
      </Modal>
    </>
  );
}
