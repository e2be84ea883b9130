import { z } from "zod";
import type { Language } from "./exports";

/** Issue 17's export options, with the values each may take (README, "Export options"). */
export const OPTION_DELIMITERS = [",", ";", "\t"] as const;
export const OPTION_DECIMAL_SEPARATORS = [".", ","] as const;
export const OPTION_COMPRESSIONS = ["none", "gzip"] as const;

/**
 * An export's options as the engine applies them, every key present, in this order (retrieve's `options`; the
 * stored text is `JSON.stringify` of it, which the REST reads embed as it is).
 */
export const exportOptionsSchema = z.object({
  delimiter: z.enum(OPTION_DELIMITERS),
  decimal_separator: z.enum(OPTION_DECIMAL_SEPARATORS),
  timezone: z.string(),
  include_header: z.boolean(),
  compression: z.enum(OPTION_COMPRESSIONS),
});
export type EffectiveExportOptions = z.infer<typeof exportOptionsSchema>;

/** No options: today's output, byte for byte (UTC date-times as `…Z`, `,`, `.`, a header, no compression). */
export const DEFAULT_EXPORT_OPTIONS: EffectiveExportOptions = Object.freeze({
  delimiter: ",",
  decimal_separator: ".",
  timezone: "UTC",
  include_header: true,
  compression: "none",
});

/**
 * What `language_defaults: true` fills in for the options left out: a Turkish spreadsheet's list separator, decimal
 * comma and zone. (A decimal comma is not taken with a `,` delimiter given: the decimal then stays `.`.)
 */
export const LANGUAGE_OPTION_DEFAULTS: Record<
  Language,
  Pick<EffectiveExportOptions, "delimiter" | "decimal_separator" | "timezone">
> = {
  en: { delimiter: ",", decimal_separator: ".", timezone: "UTC" },
  tr: { delimiter: ";", decimal_separator: ",", timezone: "Europe/Istanbul" },
};

/** Options that change nothing: the writers of today's output (engine/formats); a row stored before options existed has the defaults. */
export function isDefaultOptions(options: EffectiveExportOptions | null | undefined): boolean {
  return (
    !options ||
    (options.delimiter === DEFAULT_EXPORT_OPTIONS.delimiter &&
      options.decimal_separator === DEFAULT_EXPORT_OPTIONS.decimal_separator &&
      options.timezone === DEFAULT_EXPORT_OPTIONS.timezone &&
      options.include_header === DEFAULT_EXPORT_OPTIONS.include_header &&
      options.compression === DEFAULT_EXPORT_OPTIONS.compression)
  );
}
