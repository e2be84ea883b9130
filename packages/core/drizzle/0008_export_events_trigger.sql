-- Custom SQL migration (issue 16, the transactional outbox): an export reaching completed, failed or cancelled
-- writes its event row in the very statement that changes the status, whichever code path runs it (the
-- assembly, the runner's last failure, a cancel, or any later one). The event therefore commits, or rolls back,
-- with the change: never lost, never sent for a change that did not happen. Row level, and only on a change
-- of status into a final one, so the engine's page updates pay nothing but the WHEN test.
CREATE FUNCTION "export_events_record"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "export_events" ("type", "export_id", "requested_by")
    VALUES ('export.' || NEW."status"::text, NEW."id", NEW."requested_by");
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "export_events_on_final" AFTER UPDATE ON "exports"
  FOR EACH ROW
  WHEN (OLD."status" IS DISTINCT FROM NEW."status"
        AND NEW."status" IN ('completed', 'failed', 'cancelled'))
  EXECUTE FUNCTION "export_events_record"();
