ALTER TABLE "exports" ADD COLUMN "direct_key" text;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "direct_upload" text;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "next_part" integer DEFAULT 1 NOT NULL;