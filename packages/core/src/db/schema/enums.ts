import { pgEnum } from "drizzle-orm/pg-core";
import { EXPORT_FORMATS, EXPORT_STATUSES } from "../../contract";

// Apart from exports.ts so that tables exports references (export_templates) can use them without a cycle.
export const exportStatus = pgEnum("export_status", EXPORT_STATUSES);
export const exportFormat = pgEnum("export_format", EXPORT_FORMATS);
