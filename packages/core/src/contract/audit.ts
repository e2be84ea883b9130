import { z } from "zod";

/** Issue 17's audit trail: what can happen to an export (export_audit.type). */
export const EXPORT_EVENT_TYPES = [
  "created",
  "started",
  "completed",
  "failed",
  "cancelled",
  "retried",
  "downloaded",
] as const;
export type ExportEventType = (typeof EXPORT_EVENT_TYPES)[number];

/**
 * One event of an export's trail, as both doors return it. `actor`: who did it (null for the workers' own steps
 * and a schedule's runs); `detail` by type — created `{template}`; completed and cancelled `{collected_count,
 * fail_count}`; failed the same and `{message}`; retried `{page, collected_count, resumed}`; downloaded `{status,
 * range, bytes, size, partial}`; started `{}`.
 */
export const exportEventSchema = z.object({
  id: z.number().int(),
  type: z.enum(EXPORT_EVENT_TYPES),
  export: z.uuid(),
  actor: z.uuid().nullable(),
  actor_username: z.string().nullable(),
  created_date: z.iso.datetime({ offset: true }),
  detail: z.record(z.string(), z.unknown()),
});
export type ExportEventDto = z.infer<typeof exportEventSchema>;

/** A download's detail: the answer's status, the `Range` asked for, the bytes the answer carries. */
export interface DownloadDetail {
  status: number;
  range: string | null;
  bytes: number;
  size: number;
  partial: boolean;
}
