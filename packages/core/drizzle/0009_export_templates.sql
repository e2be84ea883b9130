CREATE TABLE "export_templates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" varchar(255) NOT NULL,
	"request_path" text NOT NULL,
	"request_fields" text[] DEFAULT '{}'::text[] NOT NULL,
	"format_type" "export_format" DEFAULT 'csv' NOT NULL,
	"language" varchar(8) DEFAULT 'en' NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"schedule_cron" text,
	"schedule_timezone" text,
	"paused" boolean DEFAULT false NOT NULL,
	"only_changed_since_last_run" boolean DEFAULT false NOT NULL,
	"next_run_at" timestamp (3) with time zone,
	"last_run_at" timestamp (3) with time zone,
	"created_date" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"modified_date" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "template_id" uuid;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "template_point" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "is_active" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "export_templates" ADD CONSTRAINT "export_templates_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "export_templates_owner_idx" ON "export_templates" USING btree ("owner_id","created_date" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "export_templates_due_idx" ON "export_templates" USING btree ("next_run_at") WHERE next_run_at is not null;--> statement-breakpoint
ALTER TABLE "exports" ADD CONSTRAINT "exports_template_id_export_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."export_templates"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "exports_template_idx" ON "exports" USING btree ("template_id","created_date" DESC NULLS LAST);