-- Orleans 10.4.2 AdoNet reminders (Microsoft.Orleans.Reminders.AdoNet), invariant "Npgsql".
-- Requires 001-orleans-main.sql. Idempotent.
--
-- Contract (what the provider sends / reads):
--   * @ServiceId text, @GrainId text (GrainId.ToString()), @ReminderName text,
--     @StartTime UTC DateTime (timestamptz), @Period milliseconds as int32, or int64 when it
--     does not fit, @GrainHash/@BeginHash/@EndHash the uint ring hash cast to int32,
--     @Version int32 (the ETag).
--   * Row queries return GrainId, ReminderName, StartTime, Period, Version by name;
--     Period may be int or bigint, Version is converted with Convert.ToInt32.
--   * UpsertReminderRowKey returns the new Version; DeleteReminderRowKey returns one
--     boolean column (true only if the row existed with that Version).
--   * Ring ranges (BeginHash, EndHash] are compared in signed int32 order: the provider
--     uses ReadRangeRows1Key when (int)Begin < (int)End, otherwise ReadRangeRows2Key
--     (the wrapping range, also the full ring when Begin = End).
--   10.4.2 reads no other reminder columns (no cron/priority columns are needed).

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('orleans-adonet-schema')); END $lock$;

CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    varchar(150)  NOT NULL,
    GrainId      varchar(1024) NOT NULL,
    ReminderName varchar(150)  NOT NULL,
    StartTime    timestamptz   NOT NULL,
    Period       bigint        NOT NULL,
    GrainHash    integer       NOT NULL,
    Version      integer       NOT NULL,

    CONSTRAINT PK_OrleansRemindersTable PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

-- Range reads by the reminder service (each silo reads the hash ranges it owns).
CREATE INDEX IF NOT EXISTS IX_OrleansRemindersTable_ServiceId_GrainHash
    ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'UpsertReminderRowKey', $q$
    INSERT INTO OrleansRemindersTable AS r
        (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
    ON CONFLICT ON CONSTRAINT PK_OrleansRemindersTable DO UPDATE
    SET StartTime = EXCLUDED.StartTime,
        Period = EXCLUDED.Period,
        GrainHash = EXCLUDED.GrainHash,
        Version = CASE WHEN r.Version = 2147483647 THEN 0 ELSE r.Version + 1 END
    RETURNING r.Version AS Version;
$q$),
(
    'ReadReminderRowsKey', $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId;
$q$),
(
    'ReadReminderRowKey', $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId
      AND ReminderName = @ReminderName;
$q$),
(
    'ReadRangeRows1Key', $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainHash > @BeginHash
      AND GrainHash <= @EndHash;
$q$),
(
    'ReadRangeRows2Key', $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
$q$),
(
    'DeleteReminderRowKey', $q$
    WITH deleted AS (
        DELETE FROM OrleansRemindersTable
        WHERE ServiceId = @ServiceId
          AND GrainId = @GrainId
          AND ReminderName = @ReminderName
          AND Version = @Version
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM deleted) AS Deleted;
$q$),
(
    'DeleteReminderRowsKey', $q$
    DELETE FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
