-- Merchant order list (LiveCommerce): a projection of the order and after-sale events on each merchant's stream,
-- one row per order, so a merchant's list, filters, status counts and CSV export are answered from indexes instead
-- of calling every order grain. Written by PostgresMerchantOrderStore, which folds events idempotently (a status
-- only moves forward, a refund counts once by its key, the newest after-sale step wins). status is OrderStatus,
-- after_sale AfterSaleStatus. A row whose placed_at is null holds only after-sale facts and is not listed yet.
-- Idempotent.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('livecommerce-merchant-orders-schema')); END $lock$;

CREATE TABLE IF NOT EXISTS merchant_orders
(
    merchant_id     text        NOT NULL,
    -- "C" collation: the keyset's tie-break compares ids byte by byte, like the embedded store's ordinal compare.
    order_id        text        COLLATE "C" NOT NULL,
    buyer_id        text        NOT NULL,
    room_id         text        NOT NULL,
    streamer_id     text        NOT NULL,
    product_id      text        NOT NULL,
    quantity        integer     NOT NULL,
    unit_price      bigint      NOT NULL,
    amount          bigint      NOT NULL,
    status          smallint    NOT NULL,
    placed_at       timestamptz NULL,
    paid_at         timestamptz NULL,
    shipped_at      timestamptz NULL,
    refunded_amount bigint      NOT NULL DEFAULT 0,
    refund_keys     text[]      NOT NULL DEFAULT '{}',
    after_sale      smallint    NOT NULL DEFAULT 0,
    after_sale_at   timestamptz NULL,
    address         jsonb       NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (merchant_id, order_id)
);

-- Pages are keyset scans of (placed_at, order_id) descending within one merchant, alone or under one filter column.
CREATE INDEX IF NOT EXISTS ix_merchant_orders_placed ON merchant_orders (merchant_id, placed_at DESC, order_id DESC) WHERE placed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_merchant_orders_status ON merchant_orders (merchant_id, status, placed_at DESC, order_id DESC) WHERE placed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_merchant_orders_room ON merchant_orders (merchant_id, room_id, placed_at DESC, order_id DESC) WHERE placed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_merchant_orders_product ON merchant_orders (merchant_id, product_id, placed_at DESC, order_id DESC) WHERE placed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_merchant_orders_after_sale ON merchant_orders (merchant_id, after_sale, placed_at DESC, order_id DESC) WHERE after_sale <> 0;
