import type { TemplateDto } from "../contract";
import type { TemplateRow } from "../db/schema";

const iso = (t: Date | null) => (t === null ? null : t.toISOString());

/** A row (with its owner's username) → the template as both doors return it. */
export function toTemplateDto(row: TemplateRow, ownerUsername: string): TemplateDto {
  return {
    id: row.id,
    name: row.name,
    request_path: row.requestPath,
    request_fields: row.requestFields,
    format_type: row.formatType,
    language: row.language,
    options: row.options,
    schedule:
      row.scheduleCron !== null && row.scheduleTimezone !== null
        ? { cron: row.scheduleCron, timezone: row.scheduleTimezone }
        : null,
    only_changed_since_last_run: row.onlyChangedSinceLastRun,
    paused: row.paused,
    owner: row.ownerId,
    owner_username: ownerUsername,
    next_run_at: iso(row.nextRunAt),
    last_run_at: iso(row.lastRunAt),
    created_date: row.createdDate.toISOString(),
    modified_date: row.modifiedDate.toISOString(),
  };
}
