"use client";

import type { WebhookDto } from "@exports/core/contract";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime } from "~/lib/exports";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage, Loading } from "../messages";
import { useCurrentUser } from "../session";
import { CreateWebhook } from "./create-webhook";
import { WebhookDeliveries } from "./webhook-deliveries";

/** The Webhooks page: a user's endpoints (a superuser's: everyone's), add one, turn off, delete, deliveries. */
export function WebhooksView() {
  const trpc = useTRPC();
  const user = useCurrentUser();
  const list = useQuery(trpc.webhooks.list.queryOptions());
  const disabled = list.data?.filter((w) => w.disabled_reason && !w.is_active) ?? [];
  return (
    <div className="container">
      <div className="page-header">
        <h1>Webhooks</h1>
        <p className="muted">
          Signed HTTP POSTs (Standard Webhooks) when your exports complete, fail or are cancelled.
        </p>
      </div>
      {disabled.length > 0 ? (
        <div className="message error" role="alert" data-testid="webhooks-deactivated">
          <p>
            <strong>
              {disabled.length === 1 ? "An endpoint was" : `${disabled.length} endpoints were`} turned off
            </strong>{" "}
            because every delivery failed for 3 days. Fix the receiver, then turn it on again.
          </p>
        </div>
      ) : null}
      <CreateWebhook isSuperuser={user.is_superuser} />
      <section className="card" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Endpoints</h2>
        {list.isPending ? <Loading /> : null}
        {list.isError ? <ErrorMessage error={list.error} thing="the webhooks" /> : null}
        {list.data?.length === 0 ? <p className="muted">No endpoints yet.</p> : null}
        {list.data?.map((hook) => (
          <WebhookItem key={hook.id} hook={hook} mine={hook.owner === user.id} />
        ))}
      </section>
    </div>
  );
}

function WebhookItem({ hook, mine }: { hook: WebhookDto; mine: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [showDeliveries, setShowDeliveries] = useState(false);
  const refresh = () => void queryClient.invalidateQueries(trpc.webhooks.pathFilter());
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.webhooks.delete.mutationOptions({ onSuccess: refresh }));
  const test = useMutation(
    trpc.webhooks.test.mutationOptions({
      onSuccess: () => {
        setShowDeliveries(true);
        refresh();
      },
    }),
  );
  const failure = update.error ?? remove.error ?? test.error;
  return (
    <article className="webhook" data-webhook-id={hook.id} aria-label={`Endpoint ${hook.url}`}>
      <h3>
        <code>{hook.url}</code>{" "}
        <span className={`badge ${hook.is_active ? "badge-completed" : "badge-cancelled"}`}>
          {hook.is_active ? "active" : "off"}
        </span>
      </h3>
      <p className="muted">
        {hook.description ? `${hook.description} · ` : ""}
        {hook.events.join(", ")}
        {hook.scope === "all" ? " · everyone's exports" : ""}
        {mine ? "" : ` · owner ${hook.owner.slice(0, 8)}`} · added {formatDateTime(hook.created_date)}
      </p>
      {hook.disabled_reason && !hook.is_active ? (
        <p className="message error">{hook.disabled_reason}</p>
      ) : null}
      <div className="actions">
        <button
          type="button"
          className="button small"
          disabled={update.isPending}
          onClick={() => update.mutate({ id: hook.id, changes: { is_active: !hook.is_active } })}
        >
          {hook.is_active ? "Turn off" : "Turn on"}
        </button>
        <button
          type="button"
          className="button small"
          disabled={!hook.is_active || test.isPending}
          onClick={() => test.mutate({ id: hook.id })}
        >
          Send test event
        </button>
        <button
          type="button"
          className="button small"
          aria-expanded={showDeliveries}
          onClick={() => setShowDeliveries(!showDeliveries)}
        >
          {showDeliveries ? "Hide deliveries" : "Deliveries"}
        </button>
        <button
          type="button"
          className="button small danger-outline"
          disabled={remove.isPending}
          onClick={() => {
            if (window.confirm(`Delete the endpoint ${hook.url} and its delivery log?`))
              remove.mutate({ id: hook.id });
          }}
        >
          Delete
        </button>
      </div>
      {failure ? <ErrorMessage error={failure} thing="the endpoint" /> : null}
      {showDeliveries ? <WebhookDeliveries id={hook.id} /> : null}
    </article>
  );
}
