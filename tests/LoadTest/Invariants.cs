using System.Net;
using System.Text.Json;
using Npgsql;

namespace LiveCommerce.LoadTest;

/// <summary>
/// The books at the end of a run, through the API and the database. Any breach fails the run:
/// every acknowledged order exists exactly once; sold + left (+ reserved) = listed for every shelf item; for every
/// order paid = Σ party shares + refunds; Σ account balances + refunds = Σ payments (after reconciliation).
/// </summary>
public sealed class Invariants(Options options, Api api, World world, Action<string> progress)
{
    public sealed record Check(string Name, bool Passed, string Detail);

    public List<Check> Results { get; } = [];
    public bool AllPassed => Results.All(c => c.Passed);

    public async Task RunAsync()
    {
        var db = Database();
        progress("invariants: waiting for in-flight callbacks, then reconciling");
        await Task.Delay(TimeSpan.FromSeconds(3));
        var reconcile = await api.Send("admin", HttpMethod.Post, "/v1/admin/reconciliation/runs", (world.Admin, "admin"),
            new { from = world.StartedAt.AddMinutes(-1), to = DateTimeOffset.UtcNow.AddMinutes(1) }, record: false);
        Add("reconciliation ran", reconcile.Ok, reconcile.Ok
            ? $"checked {reconcile.Body.GetProperty("checked")}, repaired {reconcile.Body.GetProperty("repaired")}, unresolved {reconcile.Body.GetProperty("unresolved")}"
            : reconcile.Error ?? "");

        await OrdersExistOnceAsync(db);
        await StockAddsUpAsync(db);
        await OrdersBalanceAsync();
        await SystemBalancesAsync(db);
    }

    public void Add(string name, bool passed, string detail)
    {
        Results.Add(new Check(name, passed, detail));
        progress($"invariant {(passed ? "ok  " : "FAIL")} {name}: {detail}");
    }

    private string Database()
    {
        if (options.Database is not null) return options.Database;
        // deploy/local-cluster.sh up writes the cluster's connection string beside its pid files.
        var file = Path.Combine(ClusterControl.StateDir(options), "db.connection");
        if (!File.Exists(file)) throw new InvalidOperationException($"{file} is missing: pass --db or start the cluster with deploy/local-cluster.sh up");
        return File.ReadAllText(file).Trim();
    }

    private async Task OrdersExistOnceAsync(string db)
    {
        var acknowledged = world.AcknowledgedOrders.Values.ToList();
        Add("acknowledged orders are distinct", world.DuplicateAcknowledgements.IsEmpty,
            $"{acknowledged.Count} acknowledged, {world.DuplicateAcknowledgements.Count} acknowledged twice");

        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        var lines = new Dictionary<string, long>();
        foreach (var chunk in acknowledged.Chunk(5000))
        {
            await using var cmd = new NpgsqlCommand("SELECT order_id, count(*) FROM room_stock_lines WHERE order_id = ANY(@ids) GROUP BY order_id", connection);
            cmd.Parameters.AddWithValue("ids", chunk);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) lines[reader.GetString(0)] = reader.GetInt64(1);
        }
        var missing = acknowledged.Count(id => !lines.ContainsKey(id));
        var doubled = lines.Count(l => l.Value != 1);
        Add("every acknowledged order has exactly one stock line (database)", missing == 0 && doubled == 0, $"{missing} missing, {doubled} with more than one");

        // A read that failed for a reason other than 404 (a timeout, a 503) is asked again a few times, a few seconds
        // apart, and counted by what it answered: the check is about orders, and a slow answer is reported, not hidden.
        var failures = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        long notFound = 0, answeredLate = 0;
        await Parallel.ForEachAsync(acknowledged, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (id, _) =>
        {
            var reply = await VerifyAsync($"/v1/orders/{id}");
            for (var again = 0; again < 3 && reply.Status is not (HttpStatusCode.OK or HttpStatusCode.NotFound); again++)
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
                reply = await VerifyAsync($"/v1/orders/{id}");
                if (reply.Status == HttpStatusCode.OK) Interlocked.Increment(ref answeredLate);
            }
            if (reply.Status == HttpStatusCode.OK) return;
            Interlocked.Increment(ref notFound);
            failures.AddOrUpdate(reply.Error ?? reply.Status.ToString(), 1, (_, n) => n + 1);
        });
        Add("every acknowledged order exists (API)", notFound == 0, $"{acknowledged.Count - notFound} of {acknowledged.Count} found" +
            (answeredLate > 0 ? $" ({answeredLate} only when asked again)" : "") +
            (failures.IsEmpty ? "" : "; not found: " + string.Join(", ", failures.Select(f => $"{f.Key} x{f.Value}"))));
    }

    /// <summary>
    /// An admin read for the checks. The checks read every acknowledged order from one address, so they can meet the
    /// front door's per-address quota like any client: after a 429 they wait and ask again, within the quota window.
    /// </summary>
    public async Task<Reply> VerifyAsync(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            var reply = await api.Send("verify", HttpMethod.Get, path, (world.Admin, "admin"), record: false);
            if (reply.Status != HttpStatusCode.TooManyRequests || attempt >= 10) return reply;
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }

    private async Task StockAddsUpAsync(string db)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        foreach (var room in world.Rooms)
        {
            var view = await VerifyAsync($"/v1/rooms/{room.RoomId}");
            var item = view.Body.GetProperty("shelf").EnumerateArray().Single();
            long listed = item.GetProperty("stockListed").GetInt64(), left = item.GetProperty("stockLeft").GetInt64(),
                reserved = item.GetProperty("reserved").GetInt64(), sold = item.GetProperty("sold").GetInt64();
            await using var cmd = new NpgsqlCommand("""
                SELECT coalesce(sum(quantity) FILTER (WHERE status = 1), 0)::bigint, coalesce(sum(quantity) FILTER (WHERE status = 0), 0)::bigint
                FROM room_stock_lines WHERE room_id = @room
                """, connection);
            cmd.Parameters.AddWithValue("room", room.RoomId);
            await using var reader = await cmd.ExecuteReaderAsync();
            await reader.ReadAsync();
            long dbSold = reader.GetInt64(0), dbReserved = reader.GetInt64(1);
            Add($"stock of {room.RoomId}", left + reserved + sold == listed && left >= 0 && sold <= listed && dbSold == sold && dbReserved == reserved,
                $"listed {listed} = left {left} + reserved {reserved} + sold {sold}; database: sold {dbSold}, reserved {dbReserved}");
        }
    }

    private async Task OrdersBalanceAsync()
    {
        long checkedOrders = 0, breaches = 0;
        string? example = null;
        await Parallel.ForEachAsync(world.AcknowledgedOrders.Values, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (id, _) =>
        {
            var reply = await VerifyAsync($"/v1/orders/{id}");
            if (!reply.Ok) return;
            var o = reply.Body;
            var split = o.GetProperty("split").EnumerateArray().ToList();
            var paid = o.GetProperty("paidAmount").GetInt64();
            var refunded = o.GetProperty("refundedAmount").GetInt64();
            var shares = split.Sum(l => l.GetProperty("amount").GetInt64());
            var stillHeld = split.Sum(l => l.GetProperty("amount").GetInt64() - l.GetProperty("refunded").GetInt64());
            var ok = paid == 0 ? split.Count == 0 : shares == paid && stillHeld + refunded == paid && split.Sum(l => l.GetProperty("refunded").GetInt64()) == refunded;
            Interlocked.Increment(ref checkedOrders);
            if (!ok) { Interlocked.Increment(ref breaches); example ??= id; }
        });
        Add("every order: paid = shares still held + refunds", breaches == 0, $"{checkedOrders} orders checked, {breaches} breaches{(example is null ? "" : ", e.g. " + example)}");
    }

    private async Task SystemBalancesAsync(string db)
    {
        // Accounts credit asynchronously (order outboxes); give the system a moment to settle before calling a breach.
        for (var attempt = 0; ; attempt++)
        {
            await using var connection = new NpgsqlConnection(db);
            await connection.OpenAsync();
            long payments, refunds;
            await using (var cmd = new NpgsqlCommand("SELECT coalesce(sum(captured), 0)::bigint FROM sandbox_payments WHERE status = 'Succeeded'", connection))
                payments = (long)(await cmd.ExecuteScalarAsync())!;
            await using (var cmd = new NpgsqlCommand("SELECT coalesce(sum(amount), 0)::bigint FROM sandbox_refunds", connection))
                refunds = (long)(await cmd.ExecuteScalarAsync())!;
            var accounts = new List<string>();
            await using (var cmd = new NpgsqlCommand("SELECT DISTINCT account_id FROM ledger_entries", connection))
            await using (var reader = await cmd.ExecuteReaderAsync())
                while (await reader.ReadAsync()) accounts.Add(reader.GetString(0));
            long balances = 0;
            foreach (var account in accounts)
            {
                var b = await VerifyAsync($"/v1/accounts/{account}");
                if (!b.Ok) continue;
                balances += new[] { "pending", "onHold", "available", "paidOut" }.Sum(k => b.Body.GetProperty(k).GetInt64());
            }
            var ok = balances + refunds == payments;
            if (ok || attempt >= 10)
            {
                Add("Σ account balances + refunds = Σ payments (whole system)", ok,
                    $"{accounts.Count} accounts hold {balances} fen, refunds {refunds}, payments {payments} (difference {payments - balances - refunds})");
                return;
            }
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
    }
}
