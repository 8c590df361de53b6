-- Regulatory export (LiveCommerce): walks a merchant's orders by id (the orders whose seller share credited the
-- merchant's account) and reads each order's ledger lines of the period; this index makes that walk a range scan of
-- the merchant's own credit lines, in the byte order ("C") the walk's keyset compares with. Idempotent.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('livecommerce-ledger-schema')); END $lock$;

CREATE INDEX IF NOT EXISTS ix_ledger_entries_credited_orders
    ON ledger_entries (account_id, (order_id COLLATE "C"))
    WHERE kind IN ('credit_pending', 'credit_on_hold');
