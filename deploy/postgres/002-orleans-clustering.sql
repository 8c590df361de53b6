-- Orleans 10.4.2 AdoNet clustering (Microsoft.Orleans.Clustering.AdoNet), invariant "Npgsql".
-- Requires 001-orleans-main.sql. Idempotent.
--
-- Contract (what the provider sends / reads):
--   * DeploymentId = ClusterId; Address is the IP as text; Port, Generation, Status,
--     ProxyPort and Version are int32 parameters and are read back with GetInt32,
--     so those columns are integer (not bigint).
--   * Date/time parameters are UTC DateTime sent with DbType.DateTime, which
--     Npgsql maps to timestamptz; the columns are timestamptz so values round-trip
--     with Kind=Utc and without any session-time-zone conversion.
--   * The table version (OrleansMembershipVersionTable.Version) is the ETag of
--     the whole membership table: a row insert/update must succeed only if
--     @Version still equals the stored version, and then bumps it by one.
--   * Insert/update/insert-version queries return one row with one column that
--     the provider converts with Convert.ToBoolean.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('orleans-adonet-schema')); END $lock$;

-- One row per cluster; its Version is the membership table ETag.
CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL,
    Timestamp    timestamptz  NOT NULL DEFAULT now(),
    Version      integer      NOT NULL DEFAULT 0,

    CONSTRAINT PK_OrleansMembershipVersionTable PRIMARY KEY (DeploymentId)
);

-- One row per silo incarnation (address, port, generation).
CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150) NOT NULL,
    Address      varchar(45)  NOT NULL,
    Port         integer      NOT NULL,
    Generation   integer      NOT NULL,
    SiloName     text         NOT NULL,
    HostName     text         NOT NULL,
    Status       integer      NOT NULL,
    ProxyPort    integer      NOT NULL,
    SuspectTimes text         NULL,
    StartTime    timestamptz  NOT NULL,
    IAmAliveTime timestamptz  NOT NULL,

    CONSTRAINT PK_OrleansMembershipTable PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_OrleansMembershipTable_OrleansMembershipVersionTable
        FOREIGN KEY (DeploymentId) REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

-- Inserts a silo row if the table version still equals p_version, then bumps the
-- version. The version row is locked first, so all membership writers of a
-- cluster are serialised and a failed attempt changes nothing.
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_silo_name       text,
    p_host_name       text,
    p_status          integer,
    p_proxy_port      integer,
    p_start_time      timestamptz,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_current integer;
BEGIN
    SELECT v.Version INTO v_current
    FROM OrleansMembershipVersionTable AS v
    WHERE v.DeploymentId = p_deployment_id
    FOR UPDATE;

    IF NOT FOUND OR p_version IS NULL OR v_current <> p_version OR v_current = 2147483647 THEN
        RETURN false;
    END IF;

    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, SuspectTimes, StartTime, IAmAliveTime)
    VALUES
        (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port, NULL, p_start_time, p_i_am_alive_time)
    ON CONFLICT ON CONSTRAINT PK_OrleansMembershipTable DO NOTHING;

    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE OrleansMembershipVersionTable
    SET Version = Version + 1, Timestamp = now()
    WHERE DeploymentId = p_deployment_id;

    RETURN true;
END
$fn$;

-- Updates a silo row (status, suspicions, heartbeat) if the table version still
-- equals p_version, then bumps the version. IAmAliveTime never moves backwards.
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_status          integer,
    p_suspect_times   text,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_current integer;
BEGIN
    SELECT v.Version INTO v_current
    FROM OrleansMembershipVersionTable AS v
    WHERE v.DeploymentId = p_deployment_id
    FOR UPDATE;

    IF NOT FOUND OR p_version IS NULL OR v_current <> p_version OR v_current = 2147483647 THEN
        RETURN false;
    END IF;

    UPDATE OrleansMembershipTable AS m
    SET Status       = p_status,
        SuspectTimes = p_suspect_times,
        IAmAliveTime = GREATEST(m.IAmAliveTime, p_i_am_alive_time)
    WHERE m.DeploymentId = p_deployment_id
      AND m.Address = p_address
      AND m.Port = p_port
      AND m.Generation = p_generation;

    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE OrleansMembershipVersionTable
    SET Version = Version + 1, Timestamp = now()
    WHERE DeploymentId = p_deployment_id;

    RETURN true;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'InsertMembershipVersionKey', $q$
    WITH inserted AS (
        INSERT INTO OrleansMembershipVersionTable (DeploymentId)
        VALUES (@DeploymentId)
        ON CONFLICT (DeploymentId) DO NOTHING
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM inserted) AS Inserted;
$q$),
(
    'InsertMembershipKey', $q$
    SELECT orleans_membership_insert(
        @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
        @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS Inserted;
$q$),
(
    'UpdateMembershipKey', $q$
    SELECT orleans_membership_update(
        @DeploymentId, @Address, @Port, @Generation,
        @Status, @SuspectTimes, @IAmAliveTime, @Version) AS Updated;
$q$),
(
    -- Heartbeat; not versioned, the provider ignores the result.
    'UpdateIAmAlivetimeKey', $q$
    UPDATE OrleansMembershipTable
    SET IAmAliveTime = GREATEST(IAmAliveTime, @IAmAliveTime)
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation;
$q$),
(
    -- Always returns the version row (LEFT JOIN): member columns are NULL when
    -- the silo has no row, which the provider detects through StartTime.
    'MembershipReadRowKey', $q$
    SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName,
           m.Status, m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
    FROM OrleansMembershipVersionTable AS v
    LEFT JOIN OrleansMembershipTable AS m
           ON m.DeploymentId = v.DeploymentId
          AND m.Address = @Address
          AND m.Port = @Port
          AND m.Generation = @Generation
    WHERE v.DeploymentId = @DeploymentId;
$q$),
(
    'MembershipReadAllKey', $q$
    SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName,
           m.Status, m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
    FROM OrleansMembershipVersionTable AS v
    LEFT JOIN OrleansMembershipTable AS m
           ON m.DeploymentId = v.DeploymentId
    WHERE v.DeploymentId = @DeploymentId;
$q$),
(
    -- Used by clients (gateway list); @Status is SiloStatus.Active (3).
    'GatewaysQueryKey', $q$
    SELECT Address, ProxyPort, Generation
    FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = @Status
      AND ProxyPort > 0;
$q$),
(
    'DeleteMembershipTableEntriesKey', $q$
    DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
    DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
$q$),
(
    -- Set-based fallback, only used when CleanupDefunctSiloEntryKey is absent:
    -- drops Dead (6) rows whose start and last heartbeat precede the cut-off.
    'CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = 6
      AND IAmAliveTime < @IAmAliveTime
      AND StartTime < @IAmAliveTime;
$q$),
(
    -- Optional in 10.4.2 and preferred when present: the provider picks the Dead
    -- rows itself and deletes each one only if it is still exactly as it read it.
    'CleanupDefunctSiloEntryKey', $q$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation
      AND Status = 6
      AND StartTime = @StartTime
      AND IAmAliveTime = @IAmAliveTime
      AND COALESCE(SuspectTimes, '') = COALESCE(@SuspectTimes, '');
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
