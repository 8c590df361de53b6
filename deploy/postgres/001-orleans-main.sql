-- Orleans 10.4.2 AdoNet providers on PostgreSQL 15+, ADO.NET invariant "Npgsql".
-- 001: the shared query catalogue. Every AdoNet provider loads its SQL from
-- this table at start-up ("SELECT QueryKey, QueryText FROM OrleansQuery").
--
-- All files in this folder are idempotent (safe to re-apply), contain plain
-- SQL only (no psql meta-commands) and can be run either as
--   psql -v ON_ERROR_STOP=1 [-1] -f 00N-....sql
-- or as the CommandText of a single NpgsqlCommand. Apply them in name order.
-- Identifiers are unquoted, so PostgreSQL stores them in lower case; Npgsql
-- matches result columns case-insensitively, which is what the providers rely on.

-- Serialise concurrent appliers while the file runs as one transaction
-- (NpgsqlCommand batch, psql -1). Without a surrounding transaction it is a no-op.
DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('orleans-adonet-schema')); END $lock$;

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,

    CONSTRAINT PK_OrleansQuery PRIMARY KEY (QueryKey)
);
