import { describe, expect, it } from "vitest";
import { nextSlot, scheduleErrors } from "../../src/templates/schedule";

const slots = (cron: string, timezone: string, from: string, n: number) => {
  const out: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < n; i++) {
    const next = nextSlot({ cron, timezone }, at);
    if (!next) break;
    out.push(next.toISOString());
    at = next;
  }
  return out;
};

describe("cron slots in the template's zone (croner)", () => {
  it("Europe/Berlin, last Sunday of March: 02:30 does not exist, the slot moves to 03:00 CEST once", () => {
    expect(slots("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 3)).toEqual([
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:30:00.000Z",
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("Europe/Berlin, last Sunday of October: 02:30 happens twice, the slot fires once", () => {
    expect(slots("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 3)).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
      "2026-10-27T01:30:00.000Z",
    ]);
  });

  it("America/New_York: 06:00 on weekdays stays 06:00 local across the March change (EST → EDT)", () => {
    expect(slots("0 6 * * 1-5", "America/New_York", "2026-03-05T12:00:00Z", 3)).toEqual([
      "2026-03-06T11:00:00.000Z",
      "2026-03-09T10:00:00.000Z",
      "2026-03-10T10:00:00.000Z",
    ]);
  });

  it("America/New_York, November: hourly slots in the repeated hour fire once each instant", () => {
    // 01:00–01:59 happens twice on 2026-11-01; an hourly schedule fires on each distinct instant once.
    const s = slots("0 * * * *", "America/New_York", "2026-11-01T04:30:00Z", 3);
    expect(new Set(s).size).toBe(3);
    expect(s[0]).toBe("2026-11-01T05:00:00.000Z");
  });

  it("Europe/Istanbul (no DST): 06:00 is 03:00 UTC", () => {
    expect(slots("0 6 * * 1-5", "Europe/Istanbul", "2026-12-04T04:00:00Z", 2)).toEqual([
      "2026-12-07T03:00:00.000Z",
      "2026-12-08T03:00:00.000Z",
    ]);
  });

  it("names what is wrong: a field out of range, six fields, an unknown zone, a date that never comes", () => {
    expect(scheduleErrors({ cron: "61 * * * *", timezone: "UTC" }).cron[0]).toMatch(/minute: 61/);
    expect(scheduleErrors({ cron: "* * * * * *", timezone: "UTC" }).cron[0]).toMatch(/exactly 5 parts/);
    expect(scheduleErrors({ cron: "0 6 * * 1-5", timezone: "Mars/Olympus" }).timezone[0]).toMatch(
      /Unknown time zone "Mars\/Olympus"/,
    );
    expect(scheduleErrors({ cron: "0 6 * * *", timezone: "+03:00" }).timezone).toHaveLength(1);
    expect(scheduleErrors({ cron: "0 0 30 2 *", timezone: "UTC" }).cron[0]).toMatch(/never fires/);
    expect(scheduleErrors({ cron: "0 6 * * 1-5", timezone: "Europe/Istanbul" })).toEqual({
      cron: [],
      timezone: [],
    });
  });
});
