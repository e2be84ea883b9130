CREATE TABLE "export_filter_keys" (
	"export_id" uuid NOT NULL,
	"value" text NOT NULL,
	CONSTRAINT "export_filter_keys_export_id_value_pk" PRIMARY KEY("export_id","value")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" varchar(32) NOT NULL,
	"customer_email" varchar(254) NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"amount" numeric(12, 2) NOT NULL,
	"currency" char(3) DEFAULT 'TRY' NOT NULL,
	"item_count" integer DEFAULT 1 NOT NULL,
	"created_date" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"modified_date" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_number_unique" UNIQUE("number")
);
--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "columns" text[];--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "max_instance_id" integer;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "lease_expires_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "not_before" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "result_key" text;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "filter_key_field" varchar(64);--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "started_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "finished_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "expires_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "export_filter_keys" ADD CONSTRAINT "export_filter_keys_export_id_exports_id_fk" FOREIGN KEY ("export_id") REFERENCES "public"."exports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "orders_status_idx" ON "orders" USING btree ("status");--> statement-breakpoint
CREATE INDEX "exports_claim_idx" ON "exports" USING btree ("modified_date") WHERE status in ('waiting', 'waiting_next_page', 'processing', 'preparing_file_creation');