"use client";

import { formatDateTime } from "~/lib/exports";
import { ShownOnce } from "../shown-once";

/** A set-password link, shown once (only its hash is stored): copy it and give it to the person. */
export function OneTimeLink({
  username,
  path,
  expiresAt,
  onDone,
}: {
  username: string;
  path: string;
  expiresAt: string;
  onDone: () => void;
}) {
  const url = `${window.location.origin}${path}`;
  return (
    <ShownOnce value={url} copyLabel="Copy link" onDone={onDone} testId="set-password-link">
      <strong>A set-password link for {username}</strong> is shown <strong>only now</strong>. It works once,
      until {formatDateTime(expiresAt)}.
    </ShownOnce>
  );
}
