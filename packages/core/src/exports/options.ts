import {
  DEFAULT_EXPORT_OPTIONS,
  type EffectiveExportOptions,
  type ExportFormat,
  type ExportOptions,
  LANGUAGE_OPTION_DEFAULTS,
  type Language,
} from "../contract";
import type { FieldErrorCollector } from "../errors";

/**
 * Issue 17's options as an export is written with them: the ones given, the rest from the plain defaults (today's
 * output) or, with `language_defaults: true`, from the export's language (contract/options.ts). Checked here for
 * both exports and templates, every problem under `options`.
 */

/**
 * The zone as written down for the export, or null when the runtime's IANA database does not know it: the
 * runtime's spelling where it differs only in case (`europe/istanbul` → `Europe/Istanbul`), `UTC` for UTC's aliases
 * (`Etc/UTC`, `GMT`: today's output), else as given (`Asia/Kolkata` stays, though ICU calls it `Asia/Calcutta`).
 */
export function canonicalZone(zone: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return null;
  try {
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
    if (resolved === "UTC" || resolved.toLowerCase() === zone.toLowerCase()) return resolved;
    return zone;
  } catch {
    return null;
  }
}

/** Problems of well-formed options for an export of `format` in `language`, added under `options`. */
export function checkOptions(
  options: ExportOptions,
  format: ExportFormat | undefined,
  language: string | undefined,
  errors: FieldErrorCollector,
) {
  if (options.timezone !== undefined && canonicalZone(options.timezone) === null) {
    errors.add(
      "options",
      `Unknown time zone "${options.timezone}". Use an IANA zone name such as "Europe/Istanbul".`,
    );
  }
  // The delimiter as it will be: given, or the default (the plain one, or the language's).
  const delimiter =
    options.delimiter ??
    (options.language_defaults === true
      ? (LANGUAGE_OPTION_DEFAULTS[language as Language]?.delimiter ?? ",")
      : DEFAULT_EXPORT_OPTIONS.delimiter);
  if (delimiter === "," && options.decimal_separator === ",") {
    errors.add("options", 'A decimal comma needs a delimiter other than ",": use ";" or a tab.');
  }
  // An XLSX file is a ZIP already: gzip would only hide it from spreadsheets.
  if (format === "xls" && options.compression === "gzip") {
    errors.add("options", 'compression "gzip" is for CSV and JSON; an XLSX file is compressed already.');
  }
}

/** The options an export is written with (`options` checked by `checkOptions`). */
export function effectiveOptions(
  options: ExportOptions | undefined,
  language: string,
): EffectiveExportOptions {
  const given = options ?? {};
  const base =
    given.language_defaults === true
      ? { ...DEFAULT_EXPORT_OPTIONS, ...(LANGUAGE_OPTION_DEFAULTS[language as Language] ?? {}) }
      : DEFAULT_EXPORT_OPTIONS;
  const delimiter = given.delimiter ?? base.delimiter;
  // A language's decimal comma is not taken where the delimiter is a comma (that pair is refused when given).
  const decimal =
    given.decimal_separator ??
    (delimiter === "," && base.decimal_separator === "," ? "." : base.decimal_separator);
  const zone =
    given.timezone === undefined ? base.timezone : (canonicalZone(given.timezone) ?? given.timezone);
  // Keys in the contract's order: the stored text is this object's JSON.
  return {
    delimiter,
    decimal_separator: decimal,
    timezone: zone,
    include_header: given.include_header ?? base.include_header,
    compression: given.compression ?? base.compression,
  };
}
