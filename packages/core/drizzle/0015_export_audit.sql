CREATE TABLE "export_audit" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "export_audit_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"export_id" uuid NOT NULL,
	"type" varchar(32) NOT NULL,
	"actor_id" uuid,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_date" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "export_audit" ADD CONSTRAINT "export_audit_export_id_exports_id_fk" FOREIGN KEY ("export_id") REFERENCES "public"."exports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "export_audit" ADD CONSTRAINT "export_audit_actor_id_users_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "export_audit_export_idx" ON "export_audit" USING btree ("export_id","id");--> statement-breakpoint
CREATE INDEX "export_audit_created_idx" ON "export_audit" USING btree ("created_date" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "export_audit_type_idx" ON "export_audit" USING btree ("type","created_date" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "export_audit_actor_idx" ON "export_audit" USING btree ("actor_id","created_date" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
-- Hand-added (issue 17, the audit trail): the lifecycle rows are written by a trigger in the very statement that
-- causes them (whichever code path runs it: a create, the start step, the assembly, the runner's last failure, a
-- cancel, a retry), so each commits or rolls back with its change. The acting user, where there is one, is the
-- transaction's `exports.actor` setting (set_config(…, true), exports/audit.ts): null for the workers' steps and a
-- schedule's runs. Row level; the UPDATE trigger's WHEN keeps the engine's page updates at the cost of the test.
CREATE FUNCTION "export_audit_record"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  actor uuid := nullif(current_setting('exports.actor', true), '')::uuid;
  kind text;
  detail jsonb := '{}'::jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    kind := 'created';
    detail := jsonb_build_object('template', NEW."template_id");
  ELSIF OLD."status" = 'failed' AND NEW."status" IS DISTINCT FROM OLD."status" THEN
    kind := 'retried';
    detail := jsonb_build_object('page', NEW."page", 'collected_count', NEW."collected_count",
                                 'resumed', NEW."collected_count" > 0);
  ELSIF OLD."status" IS DISTINCT FROM NEW."status" AND NEW."status" IN ('completed', 'failed', 'cancelled') THEN
    kind := NEW."status"::text;
    detail := jsonb_build_object('collected_count', NEW."collected_count", 'fail_count', NEW."fail_count");
    IF kind = 'failed' THEN
      detail := detail || jsonb_build_object('message', NEW."error_message");
    END IF;
  ELSIF OLD."started_at" IS NULL AND NEW."started_at" IS NOT NULL THEN
    kind := 'started';
  ELSE
    RETURN NULL;
  END IF;
  INSERT INTO "export_audit" ("export_id", "type", "actor_id", "detail") VALUES (NEW."id", kind, actor, detail);
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "export_audit_on_insert" AFTER INSERT ON "exports"
  FOR EACH ROW EXECUTE FUNCTION "export_audit_record"();--> statement-breakpoint
CREATE TRIGGER "export_audit_on_change" AFTER UPDATE ON "exports"
  FOR EACH ROW
  WHEN ((OLD."status" IS DISTINCT FROM NEW."status"
         AND (OLD."status" = 'failed' OR NEW."status" IN ('completed', 'failed', 'cancelled')))
        OR (OLD."started_at" IS NULL AND NEW."started_at" IS NOT NULL))
  EXECUTE FUNCTION "export_audit_record"();
