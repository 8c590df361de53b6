using System.Data.Common;
using Npgsql;
using Orleans.Storage;

namespace LiveCommerce.Api.Infrastructure;

/// <summary>
/// Whether a failure is storage that cannot serve right now (a passing condition, 503 with Retry-After) rather than a
/// bug. It reaches the front door in many shapes: straight from a store (Npgsql), wrapped by Orleans' grain storage
/// (<see cref="OrleansException"/> around the provider's error), as an ETag conflict after a failover
/// (<see cref="InconsistentStateException"/>), and after crossing the wire, where a <see cref="PostgresException"/>
/// keeps its message (<c>"53300: sorry, too many clients already"</c>) but not always its fields.
/// </summary>
public static class StorageFailures
{
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException p when IsUnavailableState(SqlStateOf(p.SqlState, p.Message)):
                    return true;
                case PostgresException:
                    return false; // the server answered: a constraint, a syntax error, ... a retry changes nothing
                case DbException { IsTransient: true }:
                // Another activation wrote the state (a silo failing over): this activation is dropped, a retry reloads.
                case InconsistentStateException:
                    return true;
                case AggregateException { InnerExceptions.Count: 1 } a:
                    return IsUnavailable(a.InnerExceptions[0]);
            }
        }
        return false;
    }

    /// <summary>
    /// SQLSTATE classes that mean "not now": 08 connection exception, 53 insufficient resources (53300 too many
    /// connections), 57P01-57P03 the server shutting down or starting up.
    /// </summary>
    public static bool IsUnavailableState(string? sqlState) =>
        sqlState is { Length: 5 } && (sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("53", StringComparison.Ordinal)
            || sqlState is "57P01" or "57P02" or "57P03");

    /// <summary>The SQLSTATE, or when it was lost on the way the five characters a PostgreSQL message starts with ("53300: ...").</summary>
    public static string? SqlStateOf(string? sqlState, string message)
    {
        if (!string.IsNullOrEmpty(sqlState)) return sqlState;
        return message.Length > 6 && message[5] == ':' && message[..5].All(char.IsAsciiLetterOrDigit) ? message[..5] : null;
    }
}
