-- Versioned saves (LiveCommerce) for the two stores that write deltas rather than whole states: a settlement
-- account's balances row and a room's stock lines. Each save expects the version its grain activation loaded and
-- writes the next one, so a second activation of the same grain (possible while a silo hands its grains over)
-- cannot overwrite the other's balances or write stock lines around the other's: its save fails and it reloads.
-- Idempotent.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('livecommerce-versioned-saves-schema')); END $lock$;

ALTER TABLE settlement_accounts ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 0;

-- A room's line-write version; a room without a row is at version 0 (rooms written before this file).
CREATE TABLE IF NOT EXISTS room_stock_versions
(
    room_id text   PRIMARY KEY,
    version bigint NOT NULL
);
