"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { type FormEvent, useState } from "react";
import { errorCode, errorMessage } from "~/lib/errors";
import { useTRPC } from "~/trpc/client";
import { Loading } from "../messages";

/** What a failed link means, in words. */
function linkProblem(error: unknown): string {
  switch (errorCode(error)) {
    case "NOT_FOUND":
      return "This link is invalid, was already used or has expired. Ask an administrator for a new one.";
    case "TOO_MANY_REQUESTS":
      return errorMessage(error) || "Too many attempts. Please wait a moment and try again.";
    default:
      return errorMessage(error);
  }
}

/** /set-password?token=…: the person behind a one-time link chooses their password, then signs in. */
export function SetPasswordForm() {
  const trpc = useTRPC();
  const token = useSearchParams().get("token") ?? "";
  const check = useQuery(
    trpc.passwordLink.check.queryOptions({ token }, { enabled: token !== "", retry: false }),
  );
  const [problem, setProblem] = useState<string | null>(null);
  const set = useMutation(
    trpc.passwordLink.set.mutationOptions({ onError: (e) => setProblem(linkProblem(e)) }),
  );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get("password") ?? "");
    if (password.length < 8) return setProblem("Choose a password of 8 characters or more.");
    if (password !== String(form.get("confirm") ?? "")) return setProblem("The two passwords differ.");
    setProblem(null);
    set.mutate({ token, password });
  }

  if (set.isSuccess) {
    return (
      <div className="sign-in card">
        <h1>Password set</h1>
        <p role="status">
          Your password is set, {set.data.username}. <Link href="/sign-in">Sign in</Link> with it.
        </p>
      </div>
    );
  }
  return (
    <div className="sign-in card">
      <h1>Set your password</h1>
      {token === "" || check.isError ? (
        <div className="message error" role="alert">
          <p>{token === "" ? "This page needs the link you were given." : linkProblem(check.error)}</p>
        </div>
      ) : null}
      {check.isPending && token !== "" ? <Loading /> : null}
      {check.data ? (
        <form onSubmit={submit} noValidate>
          <p className="muted">
            For <strong data-testid="set-password-username">{check.data.username}</strong>. The link works
            once.
          </p>
          {problem ? (
            <div className="message error" role="alert">
              <p>{problem}</p>
            </div>
          ) : null}
          <input
            type="text"
            name="username"
            autoComplete="username"
            value={check.data.username}
            readOnly
            hidden
          />
          <label className="field">
            New password
            <input type="password" name="password" autoComplete="new-password" required minLength={8} />
          </label>
          <label className="field">
            Repeat it
            <input type="password" name="confirm" autoComplete="new-password" required minLength={8} />
          </label>
          <button type="submit" className="button primary" disabled={set.isPending}>
            {set.isPending ? "Saving…" : "Set password"}
          </button>
        </form>
      ) : null}
    </div>
  );
}
