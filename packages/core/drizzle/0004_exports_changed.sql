-- Custom SQL migration: every statement that changes the exports table tells listeners so (channel
-- exports_changed, empty payload). Statement level: one notification per statement, not per row; NOTIFY is
-- delivered when the transaction commits, and identical notifications of one transaction are folded into one.
-- The web process's list cache (packages/core/src/exports/change-feed.ts) drops its answers on each one.
CREATE FUNCTION "exports_notify_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('exports_changed', '');
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "exports_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "exports"
  FOR EACH STATEMENT EXECUTE FUNCTION "exports_notify_changed"();
