import { DEFAULT_LOOKUPS, type FilterField, type Lookup, type Resource } from "@exports/core";
import type { Json } from "../route";

/** Query parameters from core's filter specs: every filter with every lookup it accepts. */

/** A human sentence for each lookup of the filter grammar. */
const LOOKUP_TEXT: Record<string, (field: string) => string> = {
  exact: (f) => `${f} equals the value.`,
  in: (f) => `${f} is one of the comma-separated values (\`a,b,c\`).`,
  gt: (f) => `${f} is greater than the value.`,
  gte: (f) => `${f} is greater than or equal to the value.`,
  lt: (f) => `${f} is less than the value.`,
  lte: (f) => `${f} is less than or equal to the value.`,
  icontains: (f) => `${f} contains the text, ignoring case.`,
  date: (f) => `${f} falls on the calendar day (UTC).`,
  date__gt: (f) => `${f} falls after the calendar day (UTC).`,
  date__gte: (f) => `${f} falls on or after the calendar day (UTC).`,
  date__lt: (f) => `${f} falls before the calendar day (UTC).`,
  date__lte: (f) => `${f} falls on or before the calendar day (UTC).`,
};

/** A filter as the document needs it: a resource field's, or an entry of the exports list's spec. */
export type Filter = Pick<FilterField, "kind" | "lookups" | "choices" | "aliases">;

/** The values a choice filter accepts: its choices, then its aliases (`pending`). */
const choicesOf = (filter: Filter): string[] => [
  ...(filter.choices ?? []),
  ...Object.keys(filter.aliases ?? {}),
];

const UUID_EXAMPLE = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

function filterValueSchema(filter: Filter, lookup: string): Json {
  if (lookup === "in" && filter.kind === "uuid") {
    return { type: "string", example: `${UUID_EXAMPLE},${UUID_EXAMPLE.replace(/6$/, "7")}` };
  }
  if (lookup === "in") return { type: "string", example: filter.choices?.slice(0, 2).join(",") ?? "a,b" };
  if (lookup.startsWith("date")) return { type: "string", format: "date", example: "2025-01-31" };
  if (lookup === "icontains") return { type: "string" };
  switch (filter.kind) {
    case "integer":
      return { type: "integer" };
    case "decimal":
      return { type: "string", format: "decimal", example: "100.00" };
    case "boolean":
      return { type: "boolean" };
    case "datetime":
      return { type: "string", format: "date-time" };
    case "uuid":
      return { type: "string", format: "uuid", example: UUID_EXAMPLE };
    case "choice":
      return { type: "string", enum: choicesOf(filter) };
    default:
      return { type: "string" };
  }
}

/** What each alias of a choice filter stands for (`pending`), as sentences; empty without aliases. */
export const aliasText = (filter: Filter) =>
  Object.entries(filter.aliases ?? {})
    .map(([alias, meaning]) => ` \`${alias}\` stands for ${meaning.join(", ")}.`)
    .join("");

/** One query parameter: a filter's lookup. */
export function filterParameter(field: string, filter: Filter, lookup: Lookup): Json {
  let description = LOOKUP_TEXT[lookup]?.(`\`${field}\``) ?? lookup;
  if (filter.kind === "choice" && lookup === "in")
    description += ` Choices: ${choicesOf(filter).join(", ")}.`;
  description += aliasText(filter);
  return {
    name: lookup === "exact" ? field : `${field}__${lookup}`,
    in: "query",
    required: false,
    description,
    schema: filterValueSchema(filter, lookup),
  };
}

export const lookupsOf = (filter: Filter) => filter.lookups ?? DEFAULT_LOOKUPS[filter.kind];

/** Every query parameter a resource list accepts. */
export function resourceFilterParameters(resource: Resource): Json[] {
  return resource.fields.flatMap((field) =>
    field.filter
      ? lookupsOf(field.filter).map((lookup) => filterParameter(field.name, field.filter as Filter, lookup))
      : [],
  );
}
