import { resourceByPath } from "../resources/registry";

export interface ExportEmailFacts {
  type: string;
  exportId: string;
  requestPath: string;
  actionName: string | null;
  errorMessage: string | null;
  /** APP_URL, without a trailing slash. */
  appUrl: string;
}

export interface ExportEmail {
  subject: string;
  text: string;
}

/** The export's page in the dashboard: the only link an email carries (never the file, SECURITY.md). */
export const exportPageUrl = (appUrl: string, exportId: string) =>
  `${appUrl}/exports/${encodeURIComponent(exportId)}`;

function resourceName(requestPath: string): string {
  const q = requestPath.indexOf("?");
  return resourceByPath(q === -1 ? requestPath : requestPath.slice(0, q))?.key ?? "data";
}

/**
 * "Your products export is ready" / "… failed" as plain text; null for the events nobody is mailed about
 * (a cancel is the user's own doing).
 */
export function exportEmail(facts: ExportEmailFacts): ExportEmail | null {
  const resource = resourceName(facts.requestPath);
  const link = exportPageUrl(facts.appUrl, facts.exportId);
  const name = facts.actionName ? ` "${facts.actionName}"` : "";
  if (facts.type === "export.completed") {
    return {
      subject: `Your ${resource} export is ready`,
      text: [
        `Your ${resource} export${name} is ready.`,
        "",
        `Open it in the dashboard to download the file: ${link}`,
        "",
        NOTE,
      ].join("\n"),
    };
  }
  if (facts.type === "export.failed") {
    return {
      subject: `Your ${resource} export failed`,
      text: [
        `Your ${resource} export${name} failed: ${facts.errorMessage ?? "no reason was recorded."}`,
        "",
        `See it in the dashboard: ${link}`,
        "",
        NOTE,
      ].join("\n"),
    };
  }
  return null;
}

const NOTE = "You get this email because export notifications are on in your account; turn them off there.";
