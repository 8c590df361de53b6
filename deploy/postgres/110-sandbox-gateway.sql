-- The sandbox payment provider's own records (LiveCommerce). In production these rows live at the provider; the
-- sandbox keeps them here so they survive silo restarts, and reconciliation compares our books against them.
-- Idempotent.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('livecommerce-sandbox-schema')); END $lock$;

CREATE TABLE IF NOT EXISTS sandbox_payments
(
    payment_id   text        NOT NULL PRIMARY KEY,
    order_id     text        NOT NULL,
    amount       bigint      NOT NULL,
    captured     bigint      NOT NULL,
    status       text        NOT NULL,
    created_at   timestamptz NOT NULL,
    completed_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_sandbox_payments_completed ON sandbox_payments (completed_at);

CREATE TABLE IF NOT EXISTS sandbox_refunds
(
    refund_id  text        NOT NULL PRIMARY KEY,
    payment_id text        NOT NULL REFERENCES sandbox_payments (payment_id),
    amount     bigint      NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_sandbox_refunds_payment ON sandbox_refunds (payment_id);
