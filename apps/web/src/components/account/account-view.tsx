"use client";

import type { AccountDto } from "@exports/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage, Loading } from "../messages";
import { ApiKeys } from "./api-keys";
import { ChangePassword } from "./change-password";

/** The Account page: where export emails go, and whether they are sent (issue 16); API keys, password (18). */
export function AccountView() {
  const trpc = useTRPC();
  const account = useQuery(trpc.account.get.queryOptions());
  return (
    <div className="container">
      <div className="page-header">
        <h1>Account</h1>
        <p className="muted">
          An email when one of your exports is ready or has failed, with a link to its page here (never the
          file).
        </p>
      </div>
      <section className="card" aria-labelledby="account-email-title">
        <h2 id="account-email-title">Export emails</h2>
        {account.isPending ? <Loading /> : null}
        {account.isError ? <ErrorMessage error={account.error} thing="your account" /> : null}
        {account.data ? <EmailForm key={JSON.stringify(account.data)} account={account.data} /> : null}
      </section>
      <ApiKeys />
      <ChangePassword />
    </div>
  );
}

function EmailForm({ account }: { account: AccountDto }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.account.update.mutationOptions({
      onSuccess: (next) => {
        setSaved(true);
        queryClient.setQueryData(trpc.account.get.queryKey(), next);
      },
    }),
  );
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setSaved(false);
    update.mutate({
      email: String(form.get("email") ?? ""),
      email_notifications: form.get("email_notifications") === "on",
    });
  }
  return (
    <form className="filters" onSubmit={submit} aria-label="Export emails">
      <label className="field">
        <span>Email address</span>
        <input
          name="email"
          type="email"
          maxLength={254}
          defaultValue={account.email ?? ""}
          placeholder="you@example.com"
          data-testid="account-email"
        />
      </label>
      <label className="field">
        <span>
          <input
            name="email_notifications"
            type="checkbox"
            defaultChecked={account.email_notifications}
            data-testid="account-notifications"
          />{" "}
          Email me when an export is ready or has failed
        </span>
      </label>
      {update.isError ? <ErrorMessage error={update.error} title="Not saved" /> : null}
      {saved ? (
        <p className="muted" role="status">
          Saved.
        </p>
      ) : null}
      <div className="filter-actions">
        <button type="submit" className="button primary" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}
