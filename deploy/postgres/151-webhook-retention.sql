-- Webhook retention (LiveCommerce): the retention job deletes the oldest events by occurred_at, in batches, with their
-- deliveries and attempts (PostgresWebhookStore.PurgeAsync). The time index finds them without reading the whole log;
-- the deliveries' event index serves the job's pending check, its deletes and the foreign key's check (attempts are
-- reached through their delivery's app and event, their primary key). Idempotent.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('livecommerce-webhooks-schema')); END $lock$;

CREATE INDEX IF NOT EXISTS webhook_events_by_time ON webhook_events (occurred_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_event ON webhook_deliveries (event_id);
