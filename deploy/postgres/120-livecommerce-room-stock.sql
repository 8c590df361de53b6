-- Room stock lines (LiveCommerce): one row per order that claimed a room's stock, with its status
-- (0 reserved, 1 sold, 2 released, 3 returned). The room grain writes only the rows that changed, in coalesced
-- batches, so its writes do not grow with the number of open reservations; on activation it reloads the open rows
-- and the totals of the closed ones. Written by PostgresRoomStockLedger. Idempotent.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('livecommerce-room-stock-schema')); END $lock$;

CREATE TABLE IF NOT EXISTS room_stock_lines
(
    room_id    text        NOT NULL,
    order_id   text        NOT NULL,
    product_id text        NOT NULL,
    buyer_id   text        NOT NULL,
    quantity   integer     NOT NULL CHECK (quantity > 0),
    unit_price bigint      NOT NULL,
    expires_at timestamptz NOT NULL,
    status     smallint    NOT NULL CHECK (status BETWEEN 0 AND 3),
    amount     bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, order_id)
);
-- Activation reads the open reservations of one room.
CREATE INDEX IF NOT EXISTS ix_room_stock_lines_open ON room_stock_lines (room_id) WHERE status = 0;

-- A line is also the durable record of a placed order: when it was placed and what the order knew then (seed), so
-- placement costs one coalesced room write instead of an order write and a buyer write per order.
ALTER TABLE room_stock_lines ADD COLUMN IF NOT EXISTS placed_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE room_stock_lines ADD COLUMN IF NOT EXISTS seed text NULL;
-- Orders are keyed by id alone (rebuilding one from its line); buyers list their orders newest first.
CREATE INDEX IF NOT EXISTS ix_room_stock_lines_order ON room_stock_lines (order_id);
CREATE INDEX IF NOT EXISTS ix_room_stock_lines_buyer ON room_stock_lines (buyer_id, placed_at DESC);
