import { parseArgs } from "node:util";

/** A command line that cannot be run as typed (exit code 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface OptionSpec {
  type: "string" | "boolean";
  /** Placeholder shown in help, e.g. "NAME". */
  value?: string;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;
export type OptionValues = Record<string, string | boolean | undefined>;

const CODES_WITH_OPTION_NAME = /'(-{1,2}[^'\s=]+)/;

function optionName(message: string): string {
  return CODES_WITH_OPTION_NAME.exec(message)?.[1] ?? "";
}

/**
 * Parses `argv` strictly against `specs` (node:util parseArgs) and turns its errors into short messages:
 * unknown options, a missing value, a value given to a flag, a stray positional argument, or an option given
 * twice are all usage errors. `where` names the command in messages.
 */
export function parseOptions(where: string, argv: string[], specs: OptionSpecs): OptionValues {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, { type: spec.type }]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = err instanceof Error ? err.message : String(err);
    const name = optionName(message);
    switch (code) {
      case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
        throw new UsageError(`unknown option '${name}' for ${where}`);
      case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
        throw new UsageError(`unexpected argument ${/'([^']*)'/.exec(message)?.[0] ?? ""} for ${where}`);
      case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
        const spec = specs[name.replace(/^-+/, "")];
        if (spec?.type === "boolean") throw new UsageError(`option '${name}' takes no value`);
        throw new UsageError(
          `option '${name}' needs a value${spec?.value ? ` (${name} ${spec.value})` : ""}`,
        );
      }
      default:
        throw new UsageError(message);
    }
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name)) throw new UsageError(`option '--${token.name}' given more than once`);
    seen.add(token.name);
  }
  return parsed.values as OptionValues;
}

/** A positive integer option value ("1000", not "1e3", "abc", "0" or "-5"). */
export function positiveInteger(option: string, raw: string): number {
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${option} must be a positive integer, got '${raw}'`);
  return n;
}

export function requiredString(values: OptionValues, name: string, placeholder: string): string {
  const value = values[name];
  if (typeof value !== "string") throw new UsageError(`missing --${name} ${placeholder}`);
  return value;
}

/** Help lines for a set of options, aligned. */
export function describeOptions(specs: OptionSpecs): string[] {
  const rows = Object.entries(specs).map(([name, spec]) => [
    `--${name}${spec.value ? ` ${spec.value}` : ""}`,
    spec.description,
  ]);
  const width = Math.max(0, ...rows.map(([left]) => left?.length ?? 0));
  return rows.map(([left = "", right = ""]) => `  ${left.padEnd(width)}  ${right}`);
}
