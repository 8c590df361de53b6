-- Orleans 10.4.2 AdoNet grain storage (Microsoft.Orleans.Persistence.AdoNet), invariant "Npgsql".
-- Requires 001-orleans-main.sql. Idempotent.
--
-- Contract (what the provider sends / reads):
--   * Parameters: @GrainIdHash int, @GrainTypeHash int, @GrainIdN0 bigint, @GrainIdN1 bigint,
--     @GrainTypeString text (the state name), @GrainIdExtensionString text (string key or
--     key extension; NULL for integer/Guid keys without extension), @ServiceId text,
--     @GrainStateVersion int (the ETag; NULL when the grain has never read/written a row),
--     @PayloadBinary bytea (the serialized state, whatever the serializer is).
--   * ReadFromStorageKey: columns PayloadBinary and Version, read by name (0 or 1 row).
--     PayloadBinary NULL means "no state" (after a clear); Version is still the ETag.
--   * WriteToStorageKey: column NewGrainStateVersion. Success = one row with the new version.
--     No row is returned for a stale or unexpected version (non-NULL version but no row, or
--     NULL version but a row exists); the provider then throws InconsistentStateException.
--   * ClearStorageKey: column 0 = new version; NULL payload, row kept.
--     DeleteStorageKey (used when DeleteStateOnClear = true): deletes the row and returns
--     a value different from the old version. Both return no row on a version mismatch.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('orleans-adonet-schema')); END $lock$;

-- Primary key: the full natural identity of a state row (the two hashes first, as they
-- are the most selective, then the exact values, which make the hashes collision-safe).
-- A primary key cannot contain NULLs and "IS NOT DISTINCT FROM" cannot use an index, so a
-- missing key extension is stored as '' (the queries map a NULL parameter with COALESCE);
-- Orleans rejects empty/blank key extensions, so '' cannot stand for a real extension.
-- Every read/write/clear/delete filters on all seven columns with "=", i.e. a PK lookup,
-- and the PK also gives the atomic "insert only if absent" used for the first write.
CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            integer      NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    ServiceId              varchar(150) NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NOT NULL DEFAULT '',
    PayloadBinary          bytea        NULL,
    Version                integer      NOT NULL,
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),

    CONSTRAINT PK_OrleansStorage PRIMARY KEY
        (GrainIdHash, GrainTypeHash, ServiceId, GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'ReadFromStorageKey', $q$
    SELECT PayloadBinary, Version
    FROM OrleansStorage
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND ServiceId = @ServiceId
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '');
$q$),
(
    -- Versioned update when the caller holds an ETag, insert-if-absent when it does not.
    -- Exactly one branch can act; a lost race or a stale ETag yields no row.
    'WriteToStorageKey', $q$
    WITH updated AS (
        UPDATE OrleansStorage AS s
        SET PayloadBinary = @PayloadBinary,
            Version = CASE WHEN s.Version = 2147483647 THEN 1 ELSE s.Version + 1 END,
            ModifiedOn = now()
        WHERE s.GrainIdHash = @GrainIdHash
          AND s.GrainTypeHash = @GrainTypeHash
          AND s.ServiceId = @ServiceId
          AND s.GrainIdN0 = @GrainIdN0
          AND s.GrainIdN1 = @GrainIdN1
          AND s.GrainTypeString = @GrainTypeString
          AND s.GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
          AND s.Version = @GrainStateVersion
        RETURNING s.Version
    ),
    inserted AS (
        INSERT INTO OrleansStorage
            (GrainIdHash, GrainTypeHash, ServiceId, GrainIdN0, GrainIdN1,
             GrainTypeString, GrainIdExtensionString, PayloadBinary, Version, ModifiedOn)
        SELECT @GrainIdHash, @GrainTypeHash, @ServiceId, @GrainIdN0, @GrainIdN1,
               @GrainTypeString, COALESCE(@GrainIdExtensionString, ''), @PayloadBinary, 1, now()
        WHERE @GrainStateVersion IS NULL
        ON CONFLICT ON CONSTRAINT PK_OrleansStorage DO NOTHING
        RETURNING Version
    )
    SELECT Version AS NewGrainStateVersion FROM updated
    UNION ALL
    SELECT Version AS NewGrainStateVersion FROM inserted;
$q$),
(
    'ClearStorageKey', $q$
    UPDATE OrleansStorage AS s
    SET PayloadBinary = NULL,
        Version = CASE WHEN s.Version = 2147483647 THEN 1 ELSE s.Version + 1 END,
        ModifiedOn = now()
    WHERE s.GrainIdHash = @GrainIdHash
      AND s.GrainTypeHash = @GrainTypeHash
      AND s.ServiceId = @ServiceId
      AND s.GrainIdN0 = @GrainIdN0
      AND s.GrainIdN1 = @GrainIdN1
      AND s.GrainTypeString = @GrainTypeString
      AND s.GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
      AND s.Version = @GrainStateVersion
    RETURNING s.Version AS NewGrainStateVersion;
$q$),
(
    'DeleteStorageKey', $q$
    DELETE FROM OrleansStorage AS s
    WHERE s.GrainIdHash = @GrainIdHash
      AND s.GrainTypeHash = @GrainTypeHash
      AND s.ServiceId = @ServiceId
      AND s.GrainIdN0 = @GrainIdN0
      AND s.GrainIdN1 = @GrainIdN1
      AND s.GrainTypeString = @GrainTypeString
      AND s.GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
      AND s.Version = @GrainStateVersion
    RETURNING s.Version::bigint + 1 AS DeletedGrainStateVersion;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
