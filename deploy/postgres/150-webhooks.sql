-- Webhooks (LiveCommerce): the durable event log that order grains append to from their outbox (event_id is derived
-- from the resource and its sequence, so a redelivered outbox item inserts nothing), each app's deliveries (one row
-- per app and event: pending, delivered or dead, with the back-off's next attempt) and every attempt made (the
-- delivery log). Written by PostgresWebhookStore. status is WebhookDeliveryStatus (0 pending, 1 delivered, 2 dead).
-- Idempotent.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('livecommerce-webhooks-schema')); END $lock$;

CREATE TABLE IF NOT EXISTS webhook_events
(
    event_id     text        NOT NULL PRIMARY KEY,
    merchant_id  text        NOT NULL,
    type         text        NOT NULL,
    resource_id  text        NOT NULL,
    resource_seq bigint      NOT NULL,
    occurred_at  timestamptz NOT NULL,
    payload      jsonb       NOT NULL,
    position     bigserial   NOT NULL UNIQUE,
    -- When the row was written: a dispatcher's cursor moves past a position only once it is old enough that no
    -- transaction holding a smaller position can still commit.
    recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX IF NOT EXISTS webhook_events_by_merchant ON webhook_events (merchant_id, position);

CREATE TABLE IF NOT EXISTS webhook_deliveries
(
    app_id           text        NOT NULL,
    event_id         text        NOT NULL REFERENCES webhook_events (event_id),
    position         bigint      NOT NULL,
    resource_id      text        NOT NULL,
    resource_seq     bigint      NOT NULL,
    status           smallint    NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    -- Attempts since the delivery was last queued (first time or replay): the back-off counts these.
    round_attempts   integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NULL,
    last_attempt_at  timestamptz NULL,
    last_status_code integer     NULL,
    last_error       text        NULL,
    last_latency_ms  bigint      NULL,
    PRIMARY KEY (app_id, event_id)
);

CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (app_id, next_attempt_at) WHERE status = 0;
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_resource ON webhook_deliveries (app_id, resource_id, resource_seq) WHERE status = 0;
CREATE INDEX IF NOT EXISTS webhook_deliveries_log ON webhook_deliveries (app_id, position);

CREATE TABLE IF NOT EXISTS webhook_attempts
(
    app_id      text        NOT NULL,
    event_id    text        NOT NULL,
    attempt     integer     NOT NULL,
    at          timestamptz NOT NULL,
    status_code integer     NULL,
    error       text        NULL,
    latency_ms  bigint      NOT NULL,
    PRIMARY KEY (app_id, event_id, attempt)
);
