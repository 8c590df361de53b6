using System.Collections.Concurrent;
using LiveCommerce.Contracts.Payments;
using Npgsql;

namespace LiveCommerce.Grains.Payments.Gateway;

/// <summary>
/// The sandbox provider's own database: one record per payment that reached a final state, with its refunds.
/// A provider never forgets money it moved, so this is durable in the postgres profile
/// (<c>sandbox_payments</c>, <c>sandbox_refunds</c>), and it is what reconciliation compares our books against.
/// </summary>
public interface ISandboxStore
{
    Task SaveCompletedAsync(SandboxPaymentView payment, CancellationToken cancellationToken = default);
    Task<SandboxPaymentView?> GetAsync(string paymentId, CancellationToken cancellationToken = default);
    Task<bool> AddRefundAsync(SandboxRefundView refund, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<SandboxPaymentView>> ListCompletedAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}

public sealed class InMemorySandboxStore : ISandboxStore
{
    private readonly ConcurrentDictionary<string, SandboxPaymentView> _payments = new();

    public Task SaveCompletedAsync(SandboxPaymentView payment, CancellationToken cancellationToken = default)
    {
        _payments.TryAdd(payment.PaymentId, payment with { Refunds = [] });
        return Task.CompletedTask;
    }

    public Task<SandboxPaymentView?> GetAsync(string paymentId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_payments.TryGetValue(paymentId, out var p) ? p : null);

    public Task<bool> AddRefundAsync(SandboxRefundView refund, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (!_payments.TryGetValue(refund.PaymentId, out var p)) return Task.FromResult(false);
            if (p.Refunds.Any(r => r.RefundId == refund.RefundId)) return Task.FromResult(false);
            if (_payments.TryUpdate(refund.PaymentId, p with { Refunds = [.. p.Refunds, refund] }, p)) return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<SandboxPaymentView>> ListCompletedAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<SandboxPaymentView> result = _payments.Values
            .Where(p => p.CompletedAt >= from && p.CompletedAt < to)
            .OrderBy(p => p.CompletedAt).ThenBy(p => p.PaymentId, StringComparer.Ordinal).ToList();
        return Task.FromResult(result);
    }
}

public sealed class PostgresSandboxStore(NpgsqlDataSource dataSource) : ISandboxStore
{
    public async Task SaveCompletedAsync(SandboxPaymentView p, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO sandbox_payments (payment_id, order_id, amount, captured, status, created_at, completed_at)
            VALUES (@id, @order, @amount, @captured, @status, @created, @completed)
            ON CONFLICT (payment_id) DO NOTHING
            """);
        command.Parameters.AddWithValue("id", p.PaymentId);
        command.Parameters.AddWithValue("order", p.OrderId);
        command.Parameters.AddWithValue("amount", p.Amount);
        command.Parameters.AddWithValue("captured", p.AmountCaptured);
        command.Parameters.AddWithValue("status", p.Status.ToString());
        command.Parameters.AddWithValue("created", p.CreatedAt.UtcDateTime);
        command.Parameters.AddWithValue("completed", p.CompletedAt!.Value.UtcDateTime);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<SandboxPaymentView?> GetAsync(string paymentId, CancellationToken cancellationToken = default)
    {
        var list = await QueryAsync("WHERE p.payment_id = @id", c => c.Parameters.AddWithValue("id", paymentId), cancellationToken);
        return list.Count == 0 ? null : list[0];
    }

    public async Task<bool> AddRefundAsync(SandboxRefundView refund, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO sandbox_refunds (refund_id, payment_id, amount, created_at) VALUES (@id, @payment, @amount, @at)
            ON CONFLICT (refund_id) DO NOTHING
            """);
        command.Parameters.AddWithValue("id", refund.RefundId);
        command.Parameters.AddWithValue("payment", refund.PaymentId);
        command.Parameters.AddWithValue("amount", refund.Amount);
        command.Parameters.AddWithValue("at", refund.At.UtcDateTime);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public Task<IReadOnlyList<SandboxPaymentView>> ListCompletedAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        QueryAsync("WHERE p.completed_at >= @from AND p.completed_at < @to", c =>
        {
            c.Parameters.AddWithValue("from", from.UtcDateTime);
            c.Parameters.AddWithValue("to", to.UtcDateTime);
        }, cancellationToken);

    private async Task<IReadOnlyList<SandboxPaymentView>> QueryAsync(string where, Action<NpgsqlCommand> bind, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT p.payment_id, p.order_id, p.amount, p.captured, p.status, p.created_at, p.completed_at,
                   r.refund_id, r.amount, r.created_at
            FROM sandbox_payments p LEFT JOIN sandbox_refunds r ON r.payment_id = p.payment_id
            {where}
            ORDER BY p.completed_at, p.payment_id, r.created_at
            """);
        bind(command);
        var result = new List<SandboxPaymentView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            if (result.Count == 0 || result[^1].PaymentId != id)
                result.Add(new SandboxPaymentView(id, reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3),
                    Enum.Parse<SandboxPaymentStatus>(reader.GetString(4)), reader.GetFieldValue<DateTimeOffset>(5),
                    reader.GetFieldValue<DateTimeOffset>(6), [], 0));
            if (!reader.IsDBNull(7))
            {
                var refund = new SandboxRefundView(reader.GetString(7), id, reader.GetInt64(8), reader.GetFieldValue<DateTimeOffset>(9));
                result[^1] = result[^1] with { Refunds = [.. result[^1].Refunds, refund] };
            }
        }
        return result;
    }
}
