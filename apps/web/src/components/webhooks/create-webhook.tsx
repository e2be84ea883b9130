"use client";

import { type CreatedWebhookDto, WEBHOOK_EVENTS } from "@exports/core/contract";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage } from "../messages";
import { ShownOnce } from "../shown-once";

const EVENT_LABELS: Record<(typeof WEBHOOK_EVENTS)[number], string> = {
  "export.completed": "Export completed",
  "export.failed": "Export failed",
  "export.cancelled": "Export cancelled",
};

/** The form that adds an endpoint; the secret of the one just created is shown once, with a copy button. */
export function CreateWebhook({ isSuperuser }: { isSuperuser: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [created, setCreated] = useState<CreatedWebhookDto | null>(null);
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: (hook) => {
        setCreated(hook);
        void queryClient.invalidateQueries(trpc.webhooks.list.pathFilter());
      },
    }),
  );
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    create.mutate({
      url: String(form.get("url") ?? ""),
      description: String(form.get("description") ?? ""),
      events: form.getAll("events").map(String) as (typeof WEBHOOK_EVENTS)[number][],
      scope: form.get("scope") === "all" ? "all" : "own",
    });
  }
  return (
    <section className="card" aria-labelledby="create-webhook-title">
      <h2 id="create-webhook-title">Add an endpoint</h2>
      {created ? <CreatedSecret hook={created} onDone={() => setCreated(null)} /> : null}
      <form className="filters" onSubmit={submit} aria-label="Add a webhook endpoint">
        <label className="field">
          <span>URL</span>
          <input name="url" type="url" required placeholder="https://example.com/hooks/exports" />
        </label>
        <label className="field">
          <span>Description</span>
          <input name="description" maxLength={255} />
        </label>
        <fieldset className="field">
          <legend>Events</legend>
          <div className="choices">
            {WEBHOOK_EVENTS.map((name) => (
              <label key={name}>
                <input
                  type="checkbox"
                  name="events"
                  value={name}
                  defaultChecked={name !== "export.cancelled"}
                />
                {EVENT_LABELS[name]}
              </label>
            ))}
          </div>
        </fieldset>
        {isSuperuser ? (
          <label className="field">
            <span>Exports</span>
            <select name="scope" defaultValue="own">
              <option value="own">My exports</option>
              <option value="all">Everyone's exports</option>
            </select>
          </label>
        ) : null}
        <div className="filter-actions">
          <button type="submit" className="button primary" disabled={create.isPending}>
            {create.isPending ? "Adding…" : "Add endpoint"}
          </button>
        </div>
      </form>
      {create.isError ? <ErrorMessage error={create.error} thing="the endpoint" /> : null}
    </section>
  );
}

function CreatedSecret({ hook, onDone }: { hook: CreatedWebhookDto; onDone: () => void }) {
  return (
    <ShownOnce value={hook.secret} copyLabel="Copy secret" onDone={onDone} testId="webhook-secret">
      <strong>Endpoint added.</strong> Its signing secret is shown <strong>only now</strong>: copy it into the
      receiver, which verifies each request's <code>webhook-signature</code> with it.
    </ShownOnce>
  );
}
