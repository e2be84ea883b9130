"use client";

import type { CreatedApiKeyDto } from "@exports/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { formatDateTimeCompact } from "~/lib/exports";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage, Loading } from "../messages";
import { ShownOnce } from "../shown-once";

/** The scopes a key may hold (core's SCOPES), as the form offers them. */
const SCOPE_CHOICES = [
  {
    scope: "exports:read",
    label: "exports:read — list, retrieve and download exports; read lists, templates, webhooks",
  },
  {
    scope: "exports:write",
    label: "exports:write — create, cancel, retry exports; change templates and webhooks",
  },
] as const;

/** Expiry choices, in days; 0: never. */
const EXPIRY_DAYS = [
  { days: 30, label: "In 30 days" },
  { days: 90, label: "In 90 days" },
  { days: 365, label: "In a year" },
  { days: 7, label: "In 7 days" },
  { days: 0, label: "Never" },
] as const;

/** The account page's API keys (issue 18): create (the key shown once), list, revoke. */
export function ApiKeys() {
  const trpc = useTRPC();
  const keys = useQuery(trpc.account.tokens.list.queryOptions());
  const [created, setCreated] = useState<CreatedApiKeyDto | null>(null);
  return (
    <section className="card" aria-labelledby="account-keys-title">
      <h2 id="account-keys-title">API keys</h2>
      <p className="muted">
        Send a key as <code>Authorization: Token &lt;key&gt;</code> to the REST API. A key does only what its
        scopes allow; revoking it takes effect on its very next request.
      </p>
      {created ? <CreatedKey apiKey={created} onDone={() => setCreated(null)} /> : null}
      <CreateKeyForm onCreated={setCreated} />
      {keys.isPending ? <Loading /> : null}
      {keys.isError ? <ErrorMessage error={keys.error} thing="your API keys" /> : null}
      {keys.data ? <KeyTable keys={keys.data} /> : null}
    </section>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (key: CreatedApiKeyDto) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.account.tokens.create.mutationOptions({
      onSuccess: (key) => {
        onCreated(key);
        void queryClient.invalidateQueries({ queryKey: trpc.account.tokens.list.queryKey() });
      },
    }),
  );
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const days = Number(data.get("expires_in_days") ?? 0);
    create.mutate(
      {
        name: String(data.get("name") ?? ""),
        scopes: data.getAll("scopes").map(String) as ("exports:read" | "exports:write")[],
        expires_at: days > 0 ? new Date(Date.now() + days * 86_400_000).toISOString() : null,
      },
      { onSuccess: () => form.reset() },
    );
  }
  return (
    <form className="filters" onSubmit={submit} aria-label="Create an API key">
      <label className="field">
        <span>Name</span>
        <input
          name="name"
          required
          maxLength={100}
          placeholder="e.g. nightly report"
          data-testid="key-name"
        />
      </label>
      <fieldset className="field">
        <legend>Scopes</legend>
        {SCOPE_CHOICES.map(({ scope, label }) => (
          <label key={scope}>
            <input
              type="checkbox"
              name="scopes"
              value={scope}
              defaultChecked
              data-testid={`key-scope-${scope}`}
            />{" "}
            {label}
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>Expires</span>
        <select name="expires_in_days" defaultValue="90" data-testid="key-expiry">
          {EXPIRY_DAYS.map(({ days, label }) => (
            <option key={days} value={days}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <div className="filter-actions">
        <button type="submit" className="button primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create key"}
        </button>
      </div>
      {create.isError ? <ErrorMessage error={create.error} title="No key created" /> : null}
    </form>
  );
}

function CreatedKey({ apiKey, onDone }: { apiKey: CreatedApiKeyDto; onDone: () => void }) {
  return (
    <ShownOnce
      value={apiKey.token}
      copyLabel="Copy key"
      onDone={onDone}
      testId="key-created"
      valueTestId="key-secret"
    >
      <strong>Key “{apiKey.name}” created.</strong> It is shown <strong>only now</strong>: copy it somewhere
      safe. Only its hash is kept.
    </ShownOnce>
  );
}

type KeyRow = Omit<CreatedApiKeyDto, "token">;

function KeyTable({ keys }: { keys: KeyRow[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(
    trpc.account.tokens.revoke.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.account.tokens.list.queryKey() }),
    }),
  );
  if (keys.length === 0) return <p className="muted">No API keys yet.</p>;
  return (
    <>
      {revoke.isError ? <ErrorMessage error={revoke.error} title="Not revoked" /> : null}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard. */}
      <section className="table-scroll" aria-label="Your API keys" tabIndex={0}>
        <table data-testid="key-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created (UTC)</th>
              <th scope="col">Last used (UTC)</th>
              <th scope="col">Expires (UTC)</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id} data-testid="key-row">
                <td>{key.name || "—"}</td>
                <td>
                  <code>{key.key_prefix}…</code>
                </td>
                <td>{key.scopes.join(", ")}</td>
                <td>{formatDateTimeCompact(key.created_date)}</td>
                <td>{key.last_used_at ? formatDateTimeCompact(key.last_used_at) : "Never"}</td>
                <td>
                  {key.expires_at ? formatDateTimeCompact(key.expires_at) : "Never"}
                  {/* Compared when the list was read; the server decides with its own clock. */}
                  {key.expires_at && Date.parse(key.expires_at) <= Date.now() ? " (expired)" : null}
                </td>
                <td>
                  <button
                    type="button"
                    className="button small"
                    disabled={revoke.isPending}
                    onClick={() => {
                      if (
                        window.confirm(
                          `Revoke the key “${key.name || key.key_prefix}”? It stops working at once.`,
                        )
                      )
                        revoke.mutate({ id: key.id });
                    }}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
