ALTER TABLE "exports" ADD COLUMN "purged_at" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "exports_expiry_idx" ON "exports" USING btree ("expires_at") WHERE purged_at is null and expires_at is not null;--> statement-breakpoint
-- Failed and cancelled exports expire too now (issue 12: everything an export owns goes with it). Those that
-- finished before this migration get the default retention (EXPORT_RETENTION_DAYS=7) from when they finished.
UPDATE "exports" SET "expires_at" = coalesce("finished_at", "modified_date") + interval '7 days'
  WHERE "status" IN ('failed', 'cancelled') AND "expires_at" IS NULL;
