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
};

/**
 * The list's orderings, spelled exactly as the list indexes are built (`created_date DESC NULLS LAST, id DESC
 * NULLS LAST`, alone and after `requested_by`): PostgreSQL's plain `DESC` means NULLS FIRST, which those
 * indexes cannot serve, so a plain `ORDER BY created_date DESC` read and sorted the whole table on every
 * request. Both columns are NOT NULL, so the order is the same; ascending is the indexes read backwards.
 */
export const exportOrderings = {
  "-created_date": [sql`${exports.createdDate} desc nulls last`, sql`${exports.id} desc nulls last`],
  created_date: [sql`${exports.createdDate} asc nulls first`, sql`${exports.id} asc nulls first`],
};
export const DEFAULT_EXPORT_ORDERING = "-created_date";
