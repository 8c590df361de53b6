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
