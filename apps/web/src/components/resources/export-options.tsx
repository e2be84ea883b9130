"use client";

import type { ExportFormat, ExportOptions } from "@exports/core/contract";
import { useId, useState } from "react";

/**
 * The export dialog's file options (issue 17): delimiter and decimal separator (CSV), time zone (every format),
 * header row (CSV, XLSX), gzip (CSV, JSON). Only what differs from the defaults is sent, so an untouched dialog
 * asks for today's file; the server checks the rest (a decimal comma with a comma delimiter is its 400).
 */

export interface OptionsState {
  delimiter: "," | ";" | "\t";
  decimal: "." | ",";
  timezone: string;
  header: boolean;
  gzip: boolean;
}

export const DEFAULT_OPTIONS_STATE: OptionsState = {
  delimiter: ",",
  decimal: ".",
  timezone: "UTC",
  header: true,
  gzip: false,
};

const ZONES = ["UTC", "Europe/Istanbul", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];

/** The options to send for `format`: those that apply to it and differ from the defaults. */
export function optionsOf(state: OptionsState, format: ExportFormat): ExportOptions {
  const options: ExportOptions = {};
  if (format === "csv" && state.delimiter !== ",") options.delimiter = state.delimiter;
  if (format === "csv" && state.decimal !== ".") options.decimal_separator = state.decimal;
  const zone = state.timezone.trim();
  if (zone && zone !== "UTC") options.timezone = zone;
  if (format !== "json" && !state.header) options.include_header = false;
  if (format !== "xls" && state.gzip) options.compression = "gzip";
  return options;
}

/** The fields' state for options as a template keeps them (as given: missing ones are the defaults). */
export function optionsStateOf(options: Record<string, unknown>): OptionsState {
  const d = DEFAULT_OPTIONS_STATE;
  const delimiter = options.delimiter;
  return {
    delimiter: delimiter === ";" || delimiter === "\t" || delimiter === "," ? delimiter : d.delimiter,
    decimal: options.decimal_separator === "," ? "," : d.decimal,
    timezone: typeof options.timezone === "string" ? options.timezone : d.timezone,
    header: options.include_header !== false,
    gzip: options.compression === "gzip",
  };
}

export function useOptionsState() {
  return useState<OptionsState>(DEFAULT_OPTIONS_STATE);
}

export function ExportOptionsFields({
  format,
  state,
  onChange,
}: {
  format: ExportFormat;
  state: OptionsState;
  onChange: (next: OptionsState) => void;
}) {
  const id = useId();
  const set = (patch: Partial<OptionsState>) => onChange({ ...state, ...patch });
  return (
    <fieldset className="export-options">
      <legend>File options</legend>
      {format === "csv" ? (
        <>
          <label htmlFor={`${id}-delimiter`}>Delimiter</label>
          <select
            id={`${id}-delimiter`}
            value={state.delimiter}
            onChange={(e) => set({ delimiter: e.target.value as OptionsState["delimiter"] })}
          >
            <option value=",">Comma (,)</option>
            <option value=";">Semicolon (;)</option>
            <option value={"\t"}>Tab</option>
          </select>
          <label htmlFor={`${id}-decimal`}>Decimal separator</label>
          <select
            id={`${id}-decimal`}
            value={state.decimal}
            onChange={(e) => set({ decimal: e.target.value as OptionsState["decimal"] })}
          >
            <option value=".">Point (1234.50)</option>
            <option value=",">Comma (1234,50)</option>
          </select>
        </>
      ) : null}
      <label htmlFor={`${id}-zone`}>Dates in zone (IANA)</label>
      <input
        id={`${id}-zone`}
        list={`${id}-zones`}
        value={state.timezone}
        onChange={(e) => set({ timezone: e.target.value })}
        maxLength={64}
      />
      <datalist id={`${id}-zones`}>
        {ZONES.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      {format !== "json" ? (
        <label>
          <input type="checkbox" checked={state.header} onChange={(e) => set({ header: e.target.checked })} />{" "}
          Header row
        </label>
      ) : null}
      {format !== "xls" ? (
        <label>
          <input type="checkbox" checked={state.gzip} onChange={(e) => set({ gzip: e.target.checked })} />{" "}
          Compress (gzip, .{format}.gz)
        </label>
      ) : null}
    </fieldset>
  );
}
