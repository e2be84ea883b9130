import type { EffectiveExportOptions } from "../../contract";
import { DATETIME_NULL } from "./pg-text";

/**
 * Date-times in an export's `timezone` option (issue 17): ISO 8601 with the zone's offset at that instant
 * (`2025-01-01T03:01:00.500+03:00`) in CSV and JSON, local serial days in XLSX, the zone in CSV and XLSX header
 * labels. The COPY prints timestamps with the offset under `set local timezone` (`zoneSettings`); these turn its
 * text into the file's, as `isoDatetime` does for UTC.
 */

/** The zone an export's options ask for, or null for UTC (today's `…Z`). */
export function zoneOf(options: EffectiveExportOptions): string | null {
  return options.timezone === "UTC" ? null : options.timezone;
}

/** Most bytes `zonedIsoDatetime` writes beyond its input's length (`.000` and `:00`). */
export const ZONED_GROWTH = 7;

/** The COPY transaction's setting under which timestamps (with zone) print in `zone`. */
export function zoneSettings(zone: string): string {
  return `set local timezone = '${zone.replaceAll("'", "''")}'`;
}

/** A header label that says the zone its date-times are in: `Created (Europe/Istanbul)`. */
export function zonedLabel(label: string, zone: string): string {
  return `${label} (${zone})`;
}

const isDigit = (b: number | undefined) => b !== undefined && b >= 48 && b <= 57;

/**
 * A timestamp with zone as PostgreSQL prints it with DateStyle ISO (`2025-01-01 03:01:00.5+03`, `+05:30`, a
 * historical `+01:55:52`, ` BC` after the zone), written at `p` as `2025-01-01T03:01:00.500+03:00` (seconds of
 * an offset kept: `+01:55:52`). A value already in that form (the row-by-row path hands `zonedIso`'s) is copied
 * as it is. Returns the position after it, or `DATETIME_NULL` for ±infinity.
 */
export function zonedIsoDatetime(buf: Buffer, p: number, src: Buffer, s: number, e: number): number {
  let k = s;
  while (k < e && src[k] !== 32 && src[k] !== 84) k++;
  if (k === e) {
    if (src[s] === 105 || src[s] === 45) return DATETIME_NULL; // infinity, -infinity
    throw new Error("unexpected timestamp text");
  }
  if (src[k] === 84) {
    for (let j = s; j < e; j++) buf[p++] = src[j] as number;
    return p;
  }
  for (let j = s; j < k; j++) buf[p++] = src[j] as number;
  buf[p++] = 84; // T
  for (let j = k + 1; j < k + 9; j++) buf[p++] = src[j] as number; // HH:MM:SS
  k += 9;
  buf[p++] = 46; // .
  let digits = 0;
  if (src[k] === 46) {
    k++;
    while (k < e && digits < 3 && isDigit(src[k])) {
      buf[p++] = src[k++] as number;
      digits++;
    }
    if (isDigit(src[k])) throw new Error("unexpected timestamp precision");
  }
  for (; digits < 3; digits++) buf[p++] = 48;
  // The offset: ±HH, then :MM and :SS where PostgreSQL prints them.
  const sign = src[k];
  if ((sign !== 43 && sign !== 45) || !isDigit(src[k + 1]) || !isDigit(src[k + 2]))
    throw new Error("timestamp text without its offset");
  buf[p++] = sign;
  buf[p++] = src[k + 1] as number;
  buf[p++] = src[k + 2] as number;
  k += 3;
  buf[p++] = 58;
  if (src[k] === 58) {
    buf[p++] = src[k + 1] as number;
    buf[p++] = src[k + 2] as number;
    k += 3;
    if (src[k] === 58) {
      for (let j = k; j < k + 3; j++) buf[p++] = src[j] as number;
      k += 3;
    }
  } else {
    buf[p++] = 48;
    buf[p++] = 48;
  }
  // The era (` BC`) is not printed, as in `isoDatetime`.
  if (k < e && src[k] !== 32) throw new Error("unexpected text after a timestamp's offset");
  return p;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function partsIn(date: Date, zone: string) {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZoneName: "longOffset",
    });
    formats.set(zone, format);
  }
  const parts: Record<string, string> = {};
  for (const { type, value } of format.formatToParts(date)) parts[type] = value;
  return parts;
}

/** The zone's offset at `date` as `±HH:MM` (`±HH:MM:SS` where it has seconds). */
function offsetText(parts: Record<string, string>): string {
  const name = parts.timeZoneName ?? "GMT";
  return name === "GMT" ? "+00:00" : name.slice(3);
}

/** The zone's offset at `date` in milliseconds. */
export function zoneOffsetMs(date: Date, zone: string): number {
  const text = offsetText(partsIn(date, zone));
  const [h = "0", m = "0", sec = "0"] = text.slice(1).split(":");
  const ms = ((Number(h) * 60 + Number(m)) * 60 + Number(sec)) * 1000;
  return text.startsWith("-") ? -ms : ms;
}

/** `zonedIsoDatetime`'s form computed in JS (the row-by-row path), from the instant's UTC fields and offset. */
export function zonedIso(date: Date, zone: string): string {
  const offset = zoneOffsetMs(date, zone);
  const local = new Date(date.getTime() + offset).toISOString(); // the wall clock, read as UTC
  return `${local.slice(0, -1)}${offsetText(partsIn(date, zone))}`;
}
