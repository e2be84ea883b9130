"use client";

import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "~/trpc/client";
import { ErrorMessage } from "../messages";

/** The account page's password change (issue 18): the current one is required; other sessions end. */
export function ChangePassword() {
  const trpc = useTRPC();
  const [ended, setEnded] = useState<number | null>(null);
  const change = useMutation(trpc.account.changePassword.mutationOptions());
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    setEnded(null);
    change.mutate(
      {
        current_password: String(data.get("current_password") ?? ""),
        new_password: String(data.get("new_password") ?? ""),
      },
      {
        onSuccess: (result) => {
          setEnded(result.sessions_ended);
          form.reset();
        },
      },
    );
  }
  return (
    <section className="card" aria-labelledby="account-password-title">
      <h2 id="account-password-title">Password</h2>
      <form className="filters" onSubmit={submit} aria-label="Change password">
        <label className="field">
          <span>Current password</span>
          <input name="current_password" type="password" autoComplete="current-password" required />
        </label>
        <label className="field">
          <span>New password</span>
          <input name="new_password" type="password" autoComplete="new-password" minLength={8} required />
        </label>
        {change.isError ? <ErrorMessage error={change.error} title="Password not changed" /> : null}
        {ended !== null ? (
          <p className="muted" role="status">
            Password changed.{" "}
            {ended === 0
              ? "No other session was open."
              : `${ended} other session${ended === 1 ? "" : "s"} ended.`}{" "}
            Your API keys keep working.
          </p>
        ) : null}
        <div className="filter-actions">
          <button type="submit" className="button primary" disabled={change.isPending}>
            {change.isPending ? "Changing…" : "Change password"}
          </button>
        </div>
      </form>
    </section>
  );
}
