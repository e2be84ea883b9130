"use client";

import { errorMessages } from "~/lib/errors";

/** A failure in words a person understands, announced to assistive tech. */
export function ErrorMessage({ error, thing, title }: { error: unknown; thing?: string; title?: string }) {
  const lines = errorMessages(error, thing ? { thing } : {});
  return (
    <div className="message error" role="alert">
      {title ? (
        <p>
          <strong>{title}</strong>
        </p>
      ) : null}
      {lines.length === 1 ? (
        <p>{lines[0]}</p>
      ) : (
        <ul>
          {lines.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status">
      {label}
    </p>
  );
}
