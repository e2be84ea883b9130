"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useEffect, useId, useState } from "react";
import { errorCode, errorMessage } from "~/lib/errors";
import { AFTER_SIGN_IN, safeNext } from "~/lib/safe-next";
import { useTRPC } from "~/trpc/client";
import { useSession } from "./session";

/** What a failed sign-in means, in words: never the raw code. */
function signInError(error: unknown): string {
  switch (errorCode(error)) {
    case "UNAUTHORIZED":
    case "NOT_FOUND":
      return "The username or password is incorrect. Check them and try again.";
    case "TOO_MANY_REQUESTS":
      // The server says how long to wait ("Too many failed sign-ins. Try again in 30 seconds.").
      return errorMessage(error) || "Too many failed attempts. Please wait a moment and try again.";
    case "BAD_REQUEST":
      return "Enter your username and password.";
    default:
      return errorMessage(error);
  }
}

export function SignInForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const rawNext = useSearchParams().get("next");
  // Resolved against this page's origin (known only in the browser; the server render never navigates).
  const next = typeof window === "undefined" ? AFTER_SIGN_IN : safeNext(rawNext, window.location.origin);
  const session = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const errorId = useId();

  // Someone already signed in has nothing to do here.
  const signedIn = Boolean(session.data?.user);
  useEffect(() => {
    if (signedIn) router.replace(next);
  }, [signedIn, next, router]);

  const signIn = useMutation(
    trpc.auth.signIn.mutationOptions({
      onSuccess: (result) => {
        queryClient.clear();
        queryClient.setQueryData(trpc.auth.me.queryKey(), () => ({ user: result.user }));
        router.replace(next);
      },
      onError: (error) => setProblem(signInError(error)),
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!username.trim() || !password) {
      setProblem("Enter your username and password.");
      return;
    }
    setProblem(null);
    signIn.mutate({ username: username.trim(), password });
  }

  return (
    <div className="sign-in card">
      <h1>Sign in</h1>
      <p className="muted">Use the username and password your administrator gave you.</p>
      <form onSubmit={onSubmit} noValidate aria-describedby={problem ? errorId : undefined}>
        {problem ? (
          <div className="message error" role="alert" id={errorId}>
            <p>{problem}</p>
          </div>
        ) : null}
        <label className="field">
          Username
          <input
            type="text"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            aria-invalid={problem ? true : undefined}
          />
        </label>
        <label className="field">
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={problem ? true : undefined}
          />
        </label>
        <button type="submit" className="button primary" disabled={signIn.isPending}>
          {signIn.isPending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
