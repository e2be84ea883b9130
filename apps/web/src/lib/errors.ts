import { isTRPCClientError } from "@trpc/client";

interface ErrorData {
  code?: string;
  httpStatus?: number;
  fieldErrors?: Record<string, string[]> | null;
}

/** The code of a tRPC error (`UNAUTHORIZED`, `TOO_MANY_REQUESTS`, …), or null for any other failure. */
export function errorCode(error: unknown): string | null {
  if (!isTRPCClientError(error)) return null;
  return (error.data as ErrorData | undefined)?.code ?? null;
}

/** Field → messages of a validation error, as both doors report them. */
export function fieldErrors(error: unknown): Record<string, string[]> {
  if (!isTRPCClientError(error)) return {};
  return (error.data as ErrorData | undefined)?.fieldErrors ?? {};
}

const FIELD_NAMES: Record<string, string> = {
  request_path: "Filters",
  request_fields: "Fields",
  format_type: "Format",
  language: "Language",
  status: "Status",
  created_date__date__gte: "Created from",
  created_date__date__lte: "Created to",
  limit: "Rows per page",
  page: "Page",
};

/** Any failure of a tRPC call in words a person understands (never a raw code); `thing` names what failed. */
export function errorMessages(error: unknown, context: { thing?: string } = {}): string[] {
  const thing = context.thing ?? "this item";
  if (!isTRPCClientError(error)) {
    return ["Something went wrong. Please try again."];
  }
  const data = error.data as ErrorData | undefined;
  if (!data) {
    // No tRPC envelope: the request never reached the API (offline, server down, a proxy's error page).
    return ["Could not reach the server. Check your connection and try again."];
  }
  const fields = data.fieldErrors ?? {};
  const fieldLines = Object.entries(fields).flatMap(([field, messages]) =>
    messages.map((m) => `${FIELD_NAMES[field] ?? field}: ${m}`),
  );
  switch (data.code) {
    case "UNAUTHORIZED":
      return ["Your session has ended. Please sign in again."];
    case "FORBIDDEN":
      return /csrf/i.test(error.message)
        ? ["Your session's security check failed. Reload the page and try again."]
        : ["You do not have permission to do this."];
    case "NOT_FOUND":
      return [`We could not find ${thing}. It may not exist, or you may not have access to it.`];
    case "TOO_MANY_REQUESTS":
      return [error.message || "Too many attempts. Please wait a moment and try again."];
    case "CONFLICT":
      return [error.message || `${thing} changed in the meantime. Refresh and try again.`];
    case "BAD_REQUEST":
      return fieldLines.length > 0 ? fieldLines : [error.message || "The request was not valid."];
    case "INTERNAL_SERVER_ERROR":
      return ["Something went wrong on the server. Please try again in a moment."];
    default:
      return fieldLines.length > 0
        ? fieldLines
        : [error.message || "Something went wrong. Please try again."];
  }
}

export function errorMessage(error: unknown, context: { thing?: string } = {}): string {
  return errorMessages(error, context).join(" ");
}
