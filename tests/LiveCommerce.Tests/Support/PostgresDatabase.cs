using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace LiveCommerce.Tests.Support;

/// <summary>
/// The throwaway database that tests/run-tests.sh creates and names in LIVECOMMERCE_TEST_POSTGRES.
/// The schema is applied once per test run (the migration is idempotent, so parallel fixtures are safe).
/// </summary>
public static class PostgresDatabase
{
    public const string Variable = "LIVECOMMERCE_TEST_POSTGRES";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _migrated;

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable);

    /// <summary>The connection string of a migrated database; skips the test when none was provided.</summary>
    public static async Task<string> RequireAsync()
    {
        var connectionString = ConnectionString;
        if (string.IsNullOrEmpty(connectionString))
            Assert.Skip($"{Variable} is not set: run tests/run-tests.sh, which starts PostgreSQL and sets it.");

        await Gate.WaitAsync();
        try
        {
            if (!_migrated)
            {
                await new PostgresSchema(NullLogger<PostgresSchema>.Instance).ApplyAsync(connectionString);
                _migrated = true;
            }
        }
        finally
        {
            Gate.Release();
        }
        return connectionString;
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
