import type { z } from "zod";
import { type FieldErrors, invalid } from "./errors";

/** zod issues → `{field: [messages]}`; top-level problems go under `non_field_errors` (DRF's key). */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    // A list item's problem is reported under the list's own key, naming the item: {"request_fields":
    // ["Item 2: Not a valid string."]}.
    const [head, ...rest] = issue.path;
    const key = head === undefined ? "non_field_errors" : String(head);
    const message = rest.length
      ? `Item ${rest.map((p) => (typeof p === "number" ? p + 1 : String(p))).join(".")}: ${issue.message}`
      : issue.message;
    const list = Object.hasOwn(out, key) ? (out[key] as string[]) : [];
    if (!list.includes(message)) list.push(message);
    Object.defineProperty(out, key, { value: list, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Parses input with a shared schema, throwing the domain's INVALID error with field messages. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw invalid(zodFieldErrors(result.error));
  return result.data;
}
