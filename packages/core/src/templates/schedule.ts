import { Cron } from "croner";

/** A schedule as stored: a 5-field cron expression read in an IANA time zone. */
export interface Schedule {
  cron: string;
  timezone: string;
}

/** Whether the runtime's IANA database knows the zone (`Europe/Berlin`, `UTC`; not `CEST` or `+03:00`). */
export function isIanaZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function cronOf(schedule: Schedule): Cron {
  // 5 fields only (minute … weekday): a seconds field would let one template fire every second.
  return new Cron(schedule.cron, { timezone: schedule.timezone, paused: true, mode: "5-part" });
}

/**
 * The schedule's problems as field messages, none when it is valid: the cron expression as croner reads it,
 * the zone, and whether it ever fires (`0 0 30 2 *` never does).
 */
export function scheduleErrors(schedule: Schedule): { cron: string[]; timezone: string[] } {
  const errors = { cron: [] as string[], timezone: [] as string[] };
  if (!isIanaZone(schedule.timezone)) {
    errors.timezone.push(
      `Unknown time zone "${schedule.timezone}". Use an IANA zone name such as "Europe/Istanbul" or "UTC".`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(schedule.cron, { paused: true, mode: "5-part" });
  } catch (err) {
    const reason = (err as Error).message.replace(/^CronPattern: /, "");
    errors.cron.push(
      `Invalid cron expression "${schedule.cron}": ${reason}. Five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * 1-5".`,
    );
    return errors;
  }
  if (cron.nextRun() === null) errors.cron.push(`The cron expression "${schedule.cron}" never fires.`);
  return errors;
}

/** The first slot strictly after `after`, in the schedule's zone; null if it never fires again. */
export function nextSlot(schedule: Schedule, after: Date): Date | null {
  return cronOf(schedule).nextRun(after);
}
