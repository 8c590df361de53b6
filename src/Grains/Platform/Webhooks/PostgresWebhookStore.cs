using LiveCommerce.Contracts.Platform;
using Npgsql;
using NpgsqlTypes;

namespace LiveCommerce.Grains.Platform.Webhooks;

/// <summary>Tables <c>webhook_events</c>, <c>webhook_deliveries</c> and <c>webhook_attempts</c> (deploy/postgres/150-webhooks.sql).</summary>
public sealed class PostgresWebhookStore(NpgsqlDataSource dataSource, Microsoft.Extensions.Options.IOptions<WebhookOptions> options) : IWebhookStore
{
    /// <summary>Per-resource order: a pending delivery waits while its resource has a pending one of a smaller sequence.</summary>
    private const string Unblocked = """
        NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                    WHERE p.app_id = d.app_id AND p.resource_id = d.resource_id AND p.status = 0 AND p.resource_seq < d.resource_seq)
        """;

    private const string EventColumns = "e.event_id, e.merchant_id, e.type, e.resource_id, e.resource_seq, e.occurred_at, e.payload::text";

    /// <summary>
    /// Appends events in one multi-row insert; an event id already logged inserts nothing. Settlement saves put the same
    /// statement into their own transaction (<see cref="AddAppendParameters"/>), so their events commit with the change.
    /// </summary>
    public const string AppendSql = """
        INSERT INTO webhook_events (event_id, merchant_id, type, resource_id, resource_seq, occurred_at, payload)
        SELECT id, m, t, r, s, o, p::jsonb FROM unnest(@ids, @ms, @ts, @rs, @ss, @os, @ps) AS x(id, m, t, r, s, o, p)
        ON CONFLICT (event_id) DO NOTHING
        """;

    public static void AddAppendParameters(NpgsqlParameterCollection parameters, IReadOnlyList<WebhookEvent> events)
    {
        // Ordered by event id so concurrent inserts lock the same keys in the same order.
        var sorted = events.DistinctBy(e => e.EventId).OrderBy(e => e.EventId, StringComparer.Ordinal).ToList();
        parameters.Add(Text("ids", sorted.Select(e => e.EventId)));
        parameters.Add(Text("ms", sorted.Select(e => e.MerchantId)));
        parameters.Add(Text("ts", sorted.Select(e => e.Type)));
        parameters.Add(Text("rs", sorted.Select(e => e.ResourceId)));
        parameters.Add(new NpgsqlParameter<long[]>("ss", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = sorted.Select(e => e.ResourceSeq).ToArray() });
        parameters.Add(new NpgsqlParameter<DateTime[]>("os", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = sorted.Select(e => e.OccurredAt.UtcDateTime).ToArray() });
        parameters.Add(Text("ps", sorted.Select(e => e.Payload)));
    }

    public async Task AppendAsync(IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0) return;
        await using var command = dataSource.CreateCommand(AppendSql);
        AddAppendParameters(command.Parameters, events);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long> HeadAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT coalesce(max(position), 0) FROM webhook_events");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<LoggedEvent>> ReadAsync(IReadOnlyCollection<string> merchantIds, IReadOnlyCollection<string> types, long after, int limit,
        CancellationToken cancellationToken = default)
    {
        if (merchantIds.Count == 0 || types.Count == 0) return [];
        await using var command = dataSource.CreateCommand($"""
            SELECT {EventColumns}, e.position, e.recorded_at < clock_timestamp() - @settle
            FROM webhook_events e
            WHERE e.merchant_id = ANY(@ms) AND e.type = ANY(@ts) AND e.position > @after
            ORDER BY e.position LIMIT @limit
            """);
        command.Parameters.Add(Text("ms", merchantIds));
        command.Parameters.Add(Text("ts", types));
        command.Parameters.AddWithValue("settle", options.Value.CursorSettle);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("limit", limit);
        var events = new List<LoggedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            events.Add(new LoggedEvent(ReadEvent(reader), reader.GetInt64(7), reader.GetBoolean(8)));
        return events;
    }

    public async Task EnqueueAsync(string appId, IReadOnlyList<LoggedEvent> events, DateTimeOffset due, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0) return;
        await using var command = dataSource.CreateCommand("""
            INSERT INTO webhook_deliveries (app_id, event_id, position, resource_id, resource_seq, status, next_attempt_at)
            SELECT @app, id, p, r, s, 0, @due FROM unnest(@ids, @ps, @rs, @ss) AS x(id, p, r, s)
            ON CONFLICT (app_id, event_id) DO NOTHING
            """);
        command.Parameters.AddWithValue("app", appId);
        command.Parameters.AddWithValue("due", due.UtcDateTime);
        command.Parameters.Add(Text("ids", events.Select(e => e.Event.EventId)));
        command.Parameters.Add(new NpgsqlParameter<long[]>("ps", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = events.Select(e => e.Position).ToArray() });
        command.Parameters.Add(Text("rs", events.Select(e => e.Event.ResourceId)));
        command.Parameters.Add(new NpgsqlParameter<long[]>("ss", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = events.Select(e => e.Event.ResourceSeq).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<DueDelivery>> DueAsync(string appId, DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {EventColumns}, d.attempts, d.round_attempts
            FROM webhook_deliveries d JOIN webhook_events e ON e.event_id = d.event_id
            WHERE d.app_id = @app AND d.status = 0 AND d.next_attempt_at <= @now AND {Unblocked}
            ORDER BY d.next_attempt_at, d.position LIMIT @limit
            """);
        command.Parameters.AddWithValue("app", appId);
        command.Parameters.AddWithValue("now", now.UtcDateTime);
        command.Parameters.AddWithValue("limit", limit);
        var due = new List<DueDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            due.Add(new DueDelivery(ReadEvent(reader), reader.GetInt32(7), reader.GetInt32(8)));
        return due;
    }

    public async Task RecordAsync(string appId, IReadOnlyList<AttemptResult> results, CancellationToken cancellationToken = default)
    {
        if (results.Count == 0) return;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var update = new NpgsqlBatchCommand("""
            UPDATE webhook_deliveries d SET status = x.st, attempts = d.attempts + 1, round_attempts = d.round_attempts + 1,
                next_attempt_at = x.nx, last_attempt_at = x.at, last_status_code = x.sc, last_error = x.er, last_latency_ms = x.la
            FROM unnest(@ids, @sts, @nxs, @ats, @scs, @ers, @las) AS x(id, st, nx, at, sc, er, la)
            WHERE d.app_id = @app AND d.event_id = x.id
            """);
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO webhook_attempts (app_id, event_id, attempt, at, status_code, error, latency_ms)
            SELECT @app, id, n, at, sc, er, la FROM unnest(@ids, @ns, @ats, @scs, @ers, @las) AS x(id, n, at, sc, er, la)
            ON CONFLICT DO NOTHING
            """);
        foreach (var command in new[] { update, insert })
        {
            command.Parameters.AddWithValue("app", appId);
            command.Parameters.Add(Text("ids", results.Select(r => r.EventId)));
            command.Parameters.Add(new NpgsqlParameter<DateTime[]>("ats", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = results.Select(r => r.At.UtcDateTime).ToArray() });
            command.Parameters.Add(new NpgsqlParameter<int?[]>("scs", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = results.Select(r => r.StatusCode).ToArray() });
            command.Parameters.Add(new NpgsqlParameter<string?[]>("ers", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = results.Select(r => r.Error).ToArray() });
            command.Parameters.Add(new NpgsqlParameter<long[]>("las", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = results.Select(r => r.LatencyMs).ToArray() });
            batch.BatchCommands.Add(command);
        }
        update.Parameters.Add(new NpgsqlParameter<short[]>("sts", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { TypedValue = results.Select(r => (short)r.Status).ToArray() });
        update.Parameters.Add(new NpgsqlParameter<DateTime?[]>("nxs", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = results.Select(r => r.NextAttemptAt?.UtcDateTime).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter<int[]>("ns", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = results.Select(r => r.Attempt).ToArray() });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<DateTimeOffset?> NextDueAsync(string appId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT min(next_attempt_at) FROM webhook_deliveries d WHERE d.app_id = @app AND d.status = 0 AND {Unblocked}");
        command.Parameters.AddWithValue("app", appId);
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
    }

    public async Task<IReadOnlyList<WebhookDeliveryView>> ListAsync(string appId, WebhookDeliveryStatus? status, long after, int limit,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT e.event_id, e.type, e.merchant_id, e.resource_id, e.resource_seq, e.occurred_at, d.position, d.status, d.attempts,
                   d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error, d.last_latency_ms
            FROM webhook_deliveries d JOIN webhook_events e ON e.event_id = d.event_id
            WHERE d.app_id = @app AND d.position > @after AND (@status::smallint IS NULL OR d.status = @status::smallint)
            ORDER BY d.position LIMIT @limit
            """);
        command.Parameters.AddWithValue("app", appId);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.Add(new NpgsqlParameter("status", NpgsqlDbType.Smallint) { Value = status is { } s ? (short)s : DBNull.Value });
        command.Parameters.AddWithValue("limit", limit);
        var rows = new List<WebhookDeliveryView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new WebhookDeliveryView(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
                Utc(reader.GetDateTime(5)), reader.GetInt64(6), (WebhookDeliveryStatus)reader.GetInt16(7), reader.GetInt32(8),
                reader.IsDBNull(9) ? null : Utc(reader.GetDateTime(9)), reader.IsDBNull(10) ? null : Utc(reader.GetDateTime(10)),
                reader.IsDBNull(11) ? null : reader.GetInt32(11), reader.IsDBNull(12) ? null : reader.GetString(12),
                reader.IsDBNull(13) ? null : reader.GetInt64(13)));
        return rows;
    }

    public async Task<IReadOnlyList<WebhookAttemptView>> AttemptsAsync(string appId, string eventId, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT attempt, at, status_code, error, latency_ms FROM webhook_attempts
            WHERE app_id = @app AND event_id = @id ORDER BY attempt DESC LIMIT @limit
            """);
        command.Parameters.AddWithValue("app", appId);
        command.Parameters.AddWithValue("id", eventId);
        command.Parameters.AddWithValue("limit", limit);
        var rows = new List<WebhookAttemptView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new WebhookAttemptView(reader.GetInt32(0), Utc(reader.GetDateTime(1)), reader.IsDBNull(2) ? null : reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4)));
        return rows;
    }

    public async Task<int> RequeueAsync(string appId, WebhookReplay replay, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE webhook_deliveries d SET status = 0, round_attempts = 0, next_attempt_at = @now
            FROM (SELECT c.event_id FROM webhook_deliveries c JOIN webhook_events e ON e.event_id = c.event_id
                  WHERE c.app_id = @app AND (@id::text IS NULL OR c.event_id = @id::text)
                    AND (@from::timestamptz IS NULL OR e.occurred_at >= @from::timestamptz) AND (@to::timestamptz IS NULL OR e.occurred_at < @to::timestamptz)
                  ORDER BY c.position LIMIT @limit) chosen
            WHERE d.app_id = @app AND d.event_id = chosen.event_id
            """);
        command.Parameters.AddWithValue("app", appId);
        command.Parameters.AddWithValue("now", now.UtcDateTime);
        command.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Text) { Value = (object?)replay.EventId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.TimestampTz) { Value = (object?)replay.From?.UtcDateTime ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("to", NpgsqlDbType.TimestampTz) { Value = (object?)replay.To?.UtcDateTime ?? DBNull.Value });
        command.Parameters.AddWithValue("limit", replay.Limit);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        // One statement: the foreign key from deliveries is checked at its end, when their rows are gone too. SKIP
        // LOCKED lets two silos' jobs split the work instead of waiting on each other.
        await using var command = dataSource.CreateCommand("""
            WITH doomed AS (
                SELECT e.event_id FROM webhook_events e
                WHERE e.occurred_at < @before
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.event_id = e.event_id AND p.status = 0)
                ORDER BY e.occurred_at LIMIT @limit
                FOR UPDATE SKIP LOCKED),
            attempts AS (DELETE FROM webhook_attempts a USING webhook_deliveries d, doomed
                         WHERE d.event_id = doomed.event_id AND a.app_id = d.app_id AND a.event_id = d.event_id),
            deliveries AS (DELETE FROM webhook_deliveries d USING doomed WHERE d.event_id = doomed.event_id)
            DELETE FROM webhook_events e USING doomed WHERE e.event_id = doomed.event_id
            """);
        command.Parameters.AddWithValue("before", before.UtcDateTime);
        command.Parameters.AddWithValue("limit", limit);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static WebhookEvent ReadEvent(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), Utc(reader.GetDateTime(5)), reader.GetString(6));

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));

    private static NpgsqlParameter<string[]> Text(string name, IEnumerable<string> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = values.ToArray() };
}
