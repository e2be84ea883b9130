"use client";

import {
  EXPORT_FORMATS,
  type ExportFormat,
  LANGUAGES,
  type Language,
  type ResourceDescription,
} from "@exports/core/contract";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useId, useState } from "react";
import { filtersOf, LANGUAGE_LABELS } from "~/lib/exports";
import { useTRPC } from "~/trpc/client";
import { Modal } from "../dialog";
import { ErrorMessage } from "../messages";
import { SaveAsTemplate } from "../templates/save-template";
import { ExportOptionsFields, optionsOf, useOptionsState } from "./export-options";

const FORMAT_CHOICES: Record<ExportFormat, string> = {
  csv: "CSV",
  xls: "Excel (.xlsx)",
  json: "JSON",
};

interface FieldChoice {
  name: string;
  checked: boolean;
}

/** The resource's default fields first (chosen, in their order), then the others (not chosen). */
function initialFields(resource: ResourceDescription): FieldChoice[] {
  const defaults = resource.defaultFields.map((name) => ({ name, checked: true }));
  const rest = resource.fields
    .filter((f) => !resource.defaultFields.includes(f.name))
    .map((f) => ({ name: f.name, checked: false }));
  return [...defaults, ...rest];
}

/** Exports exactly the list on screen (its filters, never limit/page), then opens the new export's page. */
export function ExportDialog({
  open,
  onClose,
  resource,
  filterQuery,
  total,
}: {
  open: boolean;
  onClose: () => void;
  resource: ResourceDescription;
  filterQuery: string;
  total: number | null;
}) {
  const titleId = useId();
  return (
    <Modal open={open} onClose={onClose} labelledBy={titleId} className="export-dialog">
      <ExportForm
        titleId={titleId}
        resource={resource}
        filterQuery={filterQuery}
        total={total}
        onClose={onClose}
      />
    </Modal>
  );
}

function ExportForm({
  titleId,
  resource,
  filterQuery,
  total,
  onClose,
}: {
  titleId: string;
  resource: ResourceDescription;
  filterQuery: string;
  total: number | null;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const baseId = useId();
  const [fields, setFields] = useState<FieldChoice[]>(() => initialFields(resource));
  const [format, setFormat] = useState<ExportFormat>("csv");
  const [language, setLanguage] = useState<Language>("en");
  const [fileOptions, setFileOptions] = useOptionsState();
  const [problem, setProblem] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const [focusAfterMove, setFocusAfterMove] = useState<string | null>(null);
  const requestPath = filterQuery ? `${resource.path}?${filterQuery}` : resource.path;
  const labelOf = (name: string) => resource.fields.find((f) => f.name === name)?.labels.en ?? name;
  const chosen = fields.filter((f) => f.checked).map((f) => f.name);

  // A moved row's button keeps the keyboard focus, wherever the row went.
  useEffect(() => {
    if (!focusAfterMove) return;
    document.getElementById(focusAfterMove)?.focus();
    setFocusAfterMove(null);
  }, [focusAfterMove]);

  const create = useMutation(
    trpc.exports.create.mutationOptions({
      onSuccess: (created) => {
        void queryClient.invalidateQueries(trpc.exports.pathFilter());
        // The live stream may already have pushed a newer state (a small export finishes in milliseconds).
        queryClient.setQueryData(trpc.exports.get.queryKey({ id: created.id }), (old) =>
          old && old.modified_date > created.modified_date ? old : created,
        );
        onClose();
        router.push(`/exports/${created.id}`);
      },
    }),
  );

  const buttonId = (name: string, dir: "up" | "down") => `${baseId}-${dir}-${name}`;

  function move(index: number, dir: "up" | "down") {
    const to = dir === "up" ? index - 1 : index + 1;
    if (to < 0 || to >= fields.length) return;
    const next = [...fields];
    const [item] = next.splice(index, 1);
    if (!item) return;
    next.splice(to, 0, item);
    setFields(next);
    setAnnouncement(`${labelOf(item.name)} moved to position ${to + 1} of ${next.length}.`);
    // At the top or bottom the other button is the one that still does something.
    const edge = (dir === "up" && to === 0) || (dir === "down" && to === next.length - 1);
    setFocusAfterMove(buttonId(item.name, edge ? (dir === "up" ? "down" : "up") : dir));
  }

  function toggle(name: string, checked: boolean) {
    setFields((list) => list.map((f) => (f.name === name ? { ...f, checked } : f)));
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (chosen.length === 0) {
      setProblem("Choose at least one field to export.");
      return;
    }
    setProblem(null);
    create.mutate({
      request_path: requestPath,
      request_fields: chosen,
      format_type: format,
      language,
      action_name: `export_${resource.key}`,
      options: optionsOf(fileOptions, format),
    });
  }

  const filters = filtersOf(requestPath);
  return (
    <form onSubmit={submit} noValidate>
      <div className="dialog-body">
        <h2 id={titleId}>Export {resource.key}</h2>
        <p>
          Exports {total === null ? "every record" : `all ${total.toLocaleString("en")} ${resource.key}`} of{" "}
          {filters ? (
            <>
              the list filtered by <code>{filters}</code>
            </>
          ) : (
            "the whole list (no filters)"
          )}
          , across all pages.
        </p>

        <fieldset>
          <legend>Fields, in the order of the file’s columns</legend>
          <p className="muted" style={{ margin: "0 0 0.25rem" }}>
            {chosen.length} of {fields.length} chosen. Use the arrows to change the order.
          </p>
          <ol className="field-order">
            {fields.map((f, i) => {
              const label = labelOf(f.name);
              return (
                <li key={f.name} className={f.checked ? undefined : "unchecked"}>
                  <span className="position" aria-hidden="true">
                    {i + 1}.
                  </span>
                  <label>
                    <input
                      type="checkbox"
                      name="request_fields"
                      value={f.name}
                      checked={f.checked}
                      onChange={(e) => toggle(f.name, e.target.checked)}
                    />
                    <span className="field-label">{label}</span> <code aria-hidden="true">{f.name}</code>
                  </label>
                  <button
                    type="button"
                    id={buttonId(f.name, "up")}
                    className="button small icon"
                    aria-label={`Move ${label} up`}
                    aria-disabled={i === 0 ? true : undefined}
                    onClick={() => move(i, "up")}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    id={buttonId(f.name, "down")}
                    className="button small icon"
                    aria-label={`Move ${label} down`}
                    aria-disabled={i === fields.length - 1 ? true : undefined}
                    onClick={() => move(i, "down")}
                  >
                    ↓
                  </button>
                </li>
              );
            })}
          </ol>
          <div className="actions">
            <button
              type="button"
              className="button small"
              onClick={() => setFields((list) => list.map((f) => ({ ...f, checked: true })))}
            >
              Choose all
            </button>
            <button type="button" className="button small" onClick={() => setFields(initialFields(resource))}>
              Reset to default fields
            </button>
          </div>
          <p className="visually-hidden" aria-live="polite">
            {announcement}
          </p>
        </fieldset>

        <fieldset>
          <legend>Format</legend>
          <div className="choices">
            {EXPORT_FORMATS.map((f) => (
              <label key={f}>
                <input
                  type="radio"
                  name="format_type"
                  value={f}
                  checked={format === f}
                  onChange={() => setFormat(f)}
                />
                {FORMAT_CHOICES[f]}
              </label>
            ))}
          </div>
        </fieldset>

        <fieldset>
          <legend>Language of the column headers</legend>
          <div className="choices">
            {LANGUAGES.map((code) => (
              <label key={code} lang={code}>
                <input
                  type="radio"
                  name="language"
                  value={code}
                  checked={language === code}
                  onChange={() => setLanguage(code)}
                />
                {LANGUAGE_LABELS[code]}
              </label>
            ))}
          </div>
        </fieldset>

        <ExportOptionsFields format={format} state={fileOptions} onChange={setFileOptions} />

        <SaveAsTemplate
          request={{
            request_path: requestPath,
            request_fields: chosen,
            format_type: format,
            language,
            options: optionsOf(fileOptions, format),
          }}
          defaultName={`${resource.key[0]?.toUpperCase() ?? ""}${resource.key.slice(1)}${filters ? ` (${filters})` : ""}`}
        />

        {problem ? (
          <div className="message error" role="alert">
            <p>{problem}</p>
          </div>
        ) : null}
        {create.isError ? (
          <ErrorMessage error={create.error} title="The export could not be created." />
        ) : null}
      </div>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
        <button type="submit" className="button primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create export"}
        </button>
      </div>
    </form>
  );
}
