-- Settlement accounts (LiveCommerce): balances, open (unsettled) shares and the append-only ledger (lines,
-- batches), written together in one transaction per account flush by PostgresSettlementStore, so an account's
-- state never grows with its order count. Idempotent.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('livecommerce-ledger-schema')); END $lock$;

-- Every posting, settlement and payout line. entry_id is the posting id (order:account:sequence), the
-- settlement line id (batch:order) or the payout id, so a retried flush inserts nothing twice.
CREATE TABLE IF NOT EXISTS ledger_entries
(
    entry_id    text        NOT NULL PRIMARY KEY,
    account_id  text        NOT NULL,
    order_id    text        NULL,
    kind        text        NOT NULL,
    amount      bigint      NOT NULL,
    created_at  timestamptz NOT NULL,
    batch_id    text        NULL
);
CREATE INDEX IF NOT EXISTS ix_ledger_entries_account_time ON ledger_entries (account_id, created_at);
CREATE INDEX IF NOT EXISTS ix_ledger_entries_order ON ledger_entries (order_id) WHERE order_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS settlement_batches
(
    batch_id      text        NOT NULL PRIMARY KEY,
    account_id    text        NOT NULL,
    business_date date        NOT NULL,
    created_at    timestamptz NOT NULL,
    total         bigint      NOT NULL,
    line_count    integer     NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_settlement_batches_account_date ON settlement_batches (account_id, business_date);

CREATE TABLE IF NOT EXISTS settlement_batch_lines
(
    batch_id        text    NOT NULL REFERENCES settlement_batches (batch_id),
    order_id        text    NOT NULL,
    share           bigint  NOT NULL,
    basis_points    integer NOT NULL,
    refunded_before bigint  NOT NULL,
    amount          bigint  NOT NULL,
    PRIMARY KEY (batch_id, order_id)
);

-- Account balances and the shares not yet settled, written in the same transaction as the ledger lines. A platform
-- account's open shares are every unsettled order: one row each, so a save touches only the rows that changed.
CREATE TABLE IF NOT EXISTS settlement_accounts
(
    account_id     text        NOT NULL PRIMARY KEY,
    cycle_days     integer     NOT NULL,
    pending        bigint      NOT NULL,
    on_hold        bigint      NOT NULL,
    available      bigint      NOT NULL,
    paid_out       bigint      NOT NULL,
    total_credited bigint      NOT NULL,
    total_reversed bigint      NOT NULL,
    batch_sequence integer     NOT NULL,
    recent_payouts jsonb       NOT NULL,
    created_at     timestamptz NOT NULL,
    anomalies      integer     NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS settlement_open_shares
(
    account_id    text        NOT NULL,
    order_id      text        NOT NULL,
    share         bigint      NOT NULL,
    basis_points  integer     NOT NULL,
    pending       bigint      NOT NULL,
    on_hold       bigint      NOT NULL,
    refunded      bigint      NOT NULL,
    confirmed_at  timestamptz NULL,
    settle_at     timestamptz NULL,
    last_sequence integer     NOT NULL,
    PRIMARY KEY (account_id, order_id)
);
