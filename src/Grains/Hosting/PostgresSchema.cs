using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace LiveCommerce.Grains.Hosting;

/// <summary>
/// Applies deploy/postgres/*.sql (embedded in this assembly) in file-name order. Every file is written to
/// be idempotent, so the step can run at every silo start; an advisory lock keeps several silos starting
/// together from applying the same file at once, and a history table records what ran.
/// </summary>
public sealed class PostgresSchema(ILogger<PostgresSchema> logger)
{
    // Arbitrary constant that names "the schema migration" among advisory locks.
    private const long MigrationLockKey = 0x4C435F534348454D;

    public static IReadOnlyList<(string Name, string Sql)> Scripts()
    {
        var assembly = typeof(PostgresSchema).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("schema/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .OrderBy(n => n, StringComparer.Ordinal)
            .Select(n => (n["schema/".Length..], Read(assembly, n)))
            .ToList();
    }

    public async Task ApplyAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);

        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection))
        {
            lockCommand.Parameters.AddWithValue("key", MigrationLockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await Execute(connection, """
                CREATE TABLE IF NOT EXISTS livecommerce_schema_history (
                    script      text        NOT NULL,
                    checksum    text        NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (script, checksum)
                );
                """, cancellationToken);

            foreach (var (name, sql) in Scripts())
            {
                var checksum = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sql)))[..16];
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var command = new NpgsqlCommand(sql, connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                await using (var record = new NpgsqlCommand(
                    "INSERT INTO livecommerce_schema_history (script, checksum) VALUES (@script, @checksum) ON CONFLICT DO NOTHING",
                    connection, transaction))
                {
                    record.Parameters.AddWithValue("script", name);
                    record.Parameters.AddWithValue("checksum", checksum);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied schema script {Script} ({Checksum})", name, checksum);
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            unlock.Parameters.AddWithValue("key", MigrationLockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
