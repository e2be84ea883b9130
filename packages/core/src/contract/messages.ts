/** DRF's wording for the common cases, so REST and tRPC show the same messages. */
export const messages = {
  required: "This field is required.",
  string: "Not a valid string.",
  list: (got: string) => `Expected a list of items but got type "${got}".`,
  choice: (value: unknown) => `"${String(value)}" is not a valid choice.`,
  maxLength: (n: number) => `Ensure this field has no more than ${n} characters.`,
  maxItems: (n: number) => `Ensure this field has no more than ${n} elements.`,
  nullCharacters: "Null characters are not allowed.",
};

/** A JSON value's type as DRF names it in its messages (`dict`, `list`, …). */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  return typeof value === "object" ? "dict" : typeof value;
}
