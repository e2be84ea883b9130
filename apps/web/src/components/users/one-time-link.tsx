"use client";

import { useState } from "react";
import { formatDateTime } from "~/lib/exports";

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
  const [copied, setCopied] = useState(false);
  const url = `${window.location.origin}${path}`;
  return (
    <div className="message info" role="status" data-testid="set-password-link">
      <p>
        <strong>A set-password link for {username}</strong> is shown <strong>only now</strong>. It works once,
        until {formatDateTime(expiresAt)}.
      </p>
      <p>
        <code className="secret">{url}</code>{" "}
        <button
          type="button"
          className="button small"
          onClick={() => {
            // Where the clipboard is refused (an insecure origin), the link stays selectable.
            void navigator.clipboard?.writeText(url).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          {copied ? "Copied" : "Copy link"}
        </button>{" "}
        <button type="button" className="button small" onClick={onDone}>
          Done
        </button>
      </p>
    </div>
  );
}
