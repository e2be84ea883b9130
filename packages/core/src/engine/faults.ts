/**
 * Fault-injection points: the step boundaries where a worker killed with `kill -9` must lose nothing.
 * `EXPORT_FAULT=<point>@<n>` (tests) SIGKILLs the process the n-th time it reaches `point`.
 */
export const FAULT_POINTS = [
  /** startExport committed (point in time fixed), no page read yet. */
  "start.recorded",
  /** A part's first bytes are in its temporary file. */
  "part.writing",
  /** A part's bytes are synced to the disk, not yet renamed under its key. */
  "part.synced",
  /** A part is under its key (committed in storage), not yet recorded in the database. */
  "part.renamed",
  /** A page's guarded update committed. */
  "page.recorded",
  /** The next page of a run is being read ahead while the last one is synced and recorded. */
  "readahead.started",
  /** An assembled result's bytes are synced, not yet renamed under its key. */
  "result.synced",
  /** The result is under its key, the export not yet marked completed. */
  "result.renamed",
  /** The export is marked completed; its parts are not deleted yet. */
  "export.completed",
  /** The parts' folder is deleted. */
  "parts.deleted",
] as const;

export type FaultPoint = (typeof FAULT_POINTS)[number];

/** Called at each fault point; does nothing unless a test asked for a fault. */
export type Faults = (point: FaultPoint) => void;

const noFaults: Faults = () => {};

const SPEC = /^([a-z.]+)@([1-9][0-9]*)$/;

/** Whether `spec` is a valid `EXPORT_FAULT` value (`<point>@<n>`). */
export function isFaultSpec(spec: string): boolean {
  const m = SPEC.exec(spec);
  return m !== null && (FAULT_POINTS as readonly string[]).includes(m[1] as string);
}

/** The faults of an `EXPORT_FAULT` value: SIGKILL to this process the n-th time the point is reached. */
export function faultsFrom(spec: string | undefined): Faults {
  if (!spec) return noFaults;
  const m = SPEC.exec(spec);
  if (!m || !isFaultSpec(spec)) throw new Error(`invalid fault spec: ${spec}`);
  const point = m[1] as FaultPoint;
  let left = Number(m[2]);
  return (reached) => {
    if (reached === point && --left === 0) process.kill(process.pid, "SIGKILL");
  };
}
