export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  /** The baseline's figure, when this one is compared with a baseline. */
  baseline?: number;
  ratio?: number;
  target?: string;
  pass?: boolean;
  note?: string;
}

export class Report {
  readonly figures: Figure[] = [];
  readonly notes: string[] = [];
  readonly extra: Record<string, unknown> = {};

  add(figure: Figure) {
    this.figures.push(figure);
    const f = figure;
    const status = f.pass === undefined ? "" : f.pass ? "PASS" : "FAIL";
    console.log(
      `  ${f.section} · ${f.name}: ${fmt(f.value)} ${f.unit}` +
        (f.ratio !== undefined ? ` (ratio ${fmt(f.ratio)})` : "") +
        (f.target ? ` target ${f.target} ${status}` : ""),
    );
  }

  note(line: string) {
    this.notes.push(line);
    console.log(`  note: ${line}`);
  }

  table(): string {
    const head = ["section", "figure", "value", "baseline", "ratio", "target", "result"];
    const rows = this.figures.map((f) => [
      f.section,
      f.name,
      `${fmt(f.value)} ${f.unit}`,
      f.baseline === undefined ? "" : `${fmt(f.baseline)} ${f.unit}`,
      f.ratio === undefined ? "" : fmt(f.ratio),
      f.target ?? "",
      f.pass === undefined ? "" : f.pass ? "PASS" : "FAIL",
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
    return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
  }
}

/**
 * The three export ratios of one run (each side's best): CSV as a share of COPY's speed (at least
 * `targets.csv`), XLSX and JSON as multiples of the CSV's time (at most `targets.xls`, `targets.json`).
 */
export function addExportRatios(
  report: Report,
  section: string,
  prefix: string,
  ms: { copy: number; csv: number; xls: number; json: number },
  targets: { csv: number; xls: number; json: number },
) {
  const { copy, csv } = ms;
  report.add({
    section,
    name: `${prefix}CSV export (COPY speed ratio)`,
    value: csv,
    unit: "ms",
    baseline: copy,
    ratio: copy / csv,
    target: `≥ ${targets.csv}`,
    pass: copy / csv >= targets.csv,
  });
  for (const [format, label] of [
    ["xls", "XLSX"],
    ["json", "JSON"],
  ] as const) {
    const value = ms[format];
    report.add({
      section,
      name: `${prefix}${label} export (× CSV time)`,
      value,
      unit: "ms",
      baseline: csv,
      ratio: value / csv,
      target: `≤ ${targets[format]}`,
      pass: value / csv <= targets[format],
    });
  }
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

export const percentile = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};
