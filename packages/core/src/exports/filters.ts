import { sql } from "drizzle-orm";
import { ACTIVE_STATUSES, EXPORT_FORMATS, EXPORT_STATUSES } from "../contract";
import { exports } from "../db/schema";
import type { FilterSpec } from "../filters/grammar";

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
  // Ours (issue 17): the exports made from a saved export.
  template: { column: exports.templateId, kind: "uuid" },
};

/**
 * Spelled exactly as the list indexes are built (`DESC NULLS LAST`): a plain `DESC` means NULLS FIRST, which
 * they cannot serve, so every request sorted the whole table. Both columns are NOT NULL: same order.
 */
export const exportOrderings = {
  "-created_date": [sql`${exports.createdDate} desc nulls last`, sql`${exports.id} desc nulls last`],
  created_date: [sql`${exports.createdDate} asc nulls first`, sql`${exports.id} asc nulls first`],
};
export const DEFAULT_EXPORT_ORDERING = "-created_date";
