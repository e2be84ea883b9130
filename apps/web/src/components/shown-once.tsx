"use client";

import { type ReactNode, useState } from "react";

/**
 * A secret shown only once (an API key, a webhook's signing secret, a set-password link): what it is, the value
 * with a copy button, and Done. Where the clipboard is refused (an insecure origin) the value stays selectable
 * (`.secret`: user-select: all).
 */
export function ShownOnce({
  value,
  copyLabel,
  onDone,
  testId,
  valueTestId,
  children,
}: {
  value: string;
  copyLabel: string;
  onDone: () => void;
  testId: string;
  valueTestId?: string;
  children: ReactNode;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="message info" role="status" data-testid={testId}>
      <p>{children}</p>
      <p>
        <code className="secret" data-testid={valueTestId}>
          {value}
        </code>{" "}
        <button
          type="button"
          className="button small"
          onClick={() => {
            void navigator.clipboard?.writeText(value).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          {copied ? "Copied" : copyLabel}
        </button>{" "}
        <button type="button" className="button small" onClick={onDone}>
          Done
        </button>
      </p>
    </div>
  );
}
