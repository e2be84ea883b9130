ALTER TABLE "exports" ADD COLUMN "idempotency_key" varchar(255);--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "request_fingerprint" varchar(64);--> statement-breakpoint
CREATE UNIQUE INDEX "exports_idempotency_idx" ON "exports" USING btree ("requested_by","idempotency_key") WHERE idempotency_key is not null;