"use client";

import { useState } from "react";

export interface ScheduleState {
  enabled: boolean;
  cron: string;
  timezone: string;
  setEnabled(v: boolean): void;
  setCron(v: string): void;
  setTimezone(v: string): void;
}

/** The browser's own zone: a sensible default for a person's schedule. */
const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function useScheduleState(initial: { cron: string; timezone: string } | null): ScheduleState {
  const [enabled, setEnabled] = useState(initial !== null);
  const [cron, setCron] = useState(initial?.cron ?? "0 6 * * 1-5");
  const [timezone, setTimezone] = useState(initial?.timezone ?? localZone());
  return { enabled, cron, timezone, setEnabled, setCron, setTimezone };
}

export const scheduleOf = (s: ScheduleState) => (s.enabled ? { cron: s.cron, timezone: s.timezone } : null);

/** A schedule: on/off, a 5-field cron expression and an IANA zone (the server validates both). */
export function ScheduleFields({ state, idPrefix }: { state: ScheduleState; idPrefix: string }) {
  return (
    <div className="schedule-fields">
      <label>
        <input type="checkbox" checked={state.enabled} onChange={(e) => state.setEnabled(e.target.checked)} />{" "}
        Run on a schedule
      </label>
      {state.enabled ? (
        <div className="schedule-inputs">
          <label htmlFor={`${idPrefix}-cron`}>Cron (minute hour day month weekday)</label>
          <input
            id={`${idPrefix}-cron`}
            value={state.cron}
            onChange={(e) => state.setCron(e.target.value)}
            aria-describedby={`${idPrefix}-cron-hint`}
          />
          <p id={`${idPrefix}-cron-hint`} className="muted">
            e.g. <code>0 6 * * 1-5</code>: 06:00 on weekdays.
          </p>
          <label htmlFor={`${idPrefix}-tz`}>Time zone</label>
          <input
            id={`${idPrefix}-tz`}
            value={state.timezone}
            onChange={(e) => state.setTimezone(e.target.value)}
          />
        </div>
      ) : null}
    </div>
  );
}
