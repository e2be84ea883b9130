/**
 * OWASP CSV injection: a text cell that starts with `=`, `+`, `-`, `@`, tab or carriage return would be
 * run as a formula by a spreadsheet. Such cells get a leading apostrophe, in every format, so the file
 * shows the text as it is. Numbers and dates are typed, never text, so a negative price stays a number.
 */
const DANGEROUS = /^[=+\-@\t\r]/;

export function neutralize(text: string): string {
  return DANGEROUS.test(text) ? `'${text}` : text;
}
