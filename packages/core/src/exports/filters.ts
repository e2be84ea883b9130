import { asc, desc } from "drizzle-orm";
import { EXPORT_FORMATS, EXPORT_STATUSES, exports } from "../db/schema";
import type { FilterSpec } from "../filters/grammar";
import { ACTIVE_STATUSES } from "./states";

/** SPEC §2.2–2.4: the exports list's filters, in the shared grammar. */
export const exportFilterSpec: FilterSpec = {
  status: {
    column: exports.status,
    kind: "choice",
    choices: EXPORT_STATUSES,
    // `pending`, listed by the given filter enum, stands for the not-yet-finished states.
    aliases: { pending: ACTIVE_STATUSES },
  },
  // `xml`, also listed by the given enum, is no format we produce: an invalid choice like any other.
  format_type: { column: exports.formatType, kind: "choice", choices: EXPORT_FORMATS },
  created_date: { column: exports.createdDate, kind: "datetime" },
};

export const exportOrderings = {
  "-created_date": [desc(exports.createdDate), desc(exports.id)],
  created_date: [asc(exports.createdDate), asc(exports.id)],
};
export const DEFAULT_EXPORT_ORDERING = "-created_date";
