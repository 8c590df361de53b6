using System.Diagnostics;
using System.Net;

namespace LiveCommerce.LoadTest;

/// <summary>The two scenarios. Both run for a bounded time and/or number of flows, then stop by themselves.</summary>
public sealed class Scenarios(Options options, Api api, World world, Metrics metrics, Action<string> progress)
{
    private long _flowsStarted;
    private long _flowIndex;

    // ---- live evening -------------------------------------------------------------------------

    public async Task SetUpLiveEveningAsync()
    {
        await world.SetUpAsync(api, options, options.Rooms, stockPerRoom: 1_000_000, progress);
        await world.JoinViewersAsync(api, options.Viewers, i => world.Rooms[i % world.Rooms.Count]);
        progress($"{Math.Min(options.Viewers, world.Buyers.Count)} viewers joined");
    }

    public async Task RunLiveEveningAsync(CancellationToken stop)
    {
        var background = Task.WhenAll(
            OpenLoop("like", options.LikesPerSecond, LikeAsync, stop),
            OpenLoop("comment", options.CommentsPerSecond, CommentAsync, stop));
        var flows = options.Mode == "open"
            ? OpenLoop("flow", options.Rate, OrderFlowAsync, stop)
            : ClosedLoop(options.Concurrency, OrderFlowAsync, stop);
        await Task.WhenAll(flows, background);
    }

    private World.RoomInfo AnyRoom() => world.Rooms[Random.Shared.Next(world.Rooms.Count)];

    private async Task LikeAsync(long start)
    {
        var i = Random.Shared.Next(Math.Min(options.Viewers, world.Buyers.Count));
        var buyer = world.Buyers[i];
        await api.Send("like", HttpMethod.Post, $"/v1/rooms/{world.Rooms[i % world.Rooms.Count].RoomId}/likes", (buyer, "buyer"),
            new { count = 1 + Random.Shared.Next(3) }, clientIp: world.BuyerIp(buyer), start: start);
    }

    private async Task CommentAsync(long start)
    {
        var i = Random.Shared.Next(Math.Min(options.Viewers, world.Buyers.Count));
        var buyer = world.Buyers[i];
        await api.Send("comment", HttpMethod.Post, $"/v1/rooms/{world.Rooms[i % world.Rooms.Count].RoomId}/comments", (buyer, "buyer"),
            new { text = "How much for two?" }, idempotencyKey: Guid.NewGuid().ToString("N"), clientIp: world.BuyerIp(buyer), start: start);
    }

    /// <summary>Place; maybe pay through the sandbox and see the callback land; maybe ship, deliver, confirm; maybe refund.</summary>
    private async Task OrderFlowAsync(long start)
    {
        var n = Interlocked.Increment(ref _flowIndex);
        var buyer = world.Buyers[(int)(n % world.Buyers.Count)];
        var room = AnyRoom();
        var key = $"k{n}";
        var ip = world.BuyerIp(buyer);
        var placed = await api.Send("place", HttpMethod.Post, "/v1/orders", (buyer, "buyer"),
            new { roomId = room.RoomId, productId = room.ProductId, quantity = 1 + (int)(n % 2) }, key, ip, start,
            [HttpStatusCode.Created], r => r.Code is "risk.rejected" ? "risk_rejected" : r.Code is "order.open_orders_limit" ? "open_orders_limit" : null);
        if (!placed.Ok || placed.Status != HttpStatusCode.Created) return;
        world.Acknowledge(key, placed);
        var orderId = World.OrderId(placed.Body);
        if (Random.Shared.NextDouble() >= options.PaidShare) return;

        var pay = await api.Send("pay", HttpMethod.Post, $"/v1/orders/{orderId}/payments", (buyer, "buyer"), clientIp: ip);
        if (!pay.Ok) return;
        var status = await WaitPaidAsync(orderId, buyer, start);
        if (status != "paid") return;
        world.PaidOrders[orderId] = Stopwatch.GetTimestamp();

        if (Random.Shared.NextDouble() < options.RefundShare)
        {
            await api.Send("refund", HttpMethod.Post, $"/v1/orders/{orderId}/refunds", (room.MerchantId, "merchant"),
                new { amount = 2000, reason = "one item damaged" }, $"refund-{orderId}", ip);
        }
        if (Random.Shared.NextDouble() >= options.ShipShare) return;
        if (!(await api.Send("ship", HttpMethod.Post, $"/v1/orders/{orderId}/ship", (room.MerchantId, "merchant"), new { trackingNumber = "SF" + n })).Ok) return;
        if (!(await api.Send("deliver", HttpMethod.Post, $"/v1/orders/{orderId}/delivery", (room.MerchantId, "merchant"))).Ok) return;
        if (Random.Shared.NextDouble() < options.AfterSaleShare) await AfterSaleAsync(orderId, buyer, room.MerchantId, ip, n);
        await api.Send("confirm", HttpMethod.Post, $"/v1/orders/{orderId}/confirm", (buyer, "buyer"), clientIp: ip);
    }

    /// <summary>
    /// A case on a delivered order, in turn: a refund the merchant approves; a return shipped back and received; a
    /// rejection the buyer escalates and an admin settles in part. Each ends in a refund through the books.
    /// </summary>
    private async Task AfterSaleAsync(string orderId, string buyer, string merchantId, string ip, long n)
    {
        var kind = (n % 3) switch { 0 => "refundOnly", 1 => "returnAndRefund", _ => "partialRefund" };
        var opened = await api.Send("case-open", HttpMethod.Post, $"/v1/orders/{orderId}/after-sales", (buyer, "buyer"),
            new { kind, reasonCode = "damaged", description = "load test", evidence = new[] { "https://img.example/load.jpg" }, amount = 500 },
            $"case-{orderId}", ip, expected: [HttpStatusCode.Created]);
        if (!opened.Ok) return;
        var caseId = opened.Body.GetProperty("caseId").GetString();
        var path = "/v1/after-sales/" + caseId;
        var merchant = (merchantId, "merchant");
        switch (n % 3)
        {
            case 0:
                await api.Send("case-approve", HttpMethod.Post, path + "/approve", merchant);
                break;
            case 1:
                if (!(await api.Send("case-approve", HttpMethod.Post, path + "/approve", merchant)).Ok) return;
                if (!(await api.Send("case-return", HttpMethod.Post, path + "/return-shipment", (buyer, "buyer"), new { carrier = "sandbox", trackingNumber = "RET" + n }, clientIp: ip)).Ok) return;
                await api.Send("case-receipt", HttpMethod.Post, path + "/return-receipt", merchant);
                break;
            default:
                if (!(await api.Send("case-reject", HttpMethod.Post, path + "/reject", merchant, new { reason = "load test" })).Ok) return;
                if (!(await api.Send("case-escalate", HttpMethod.Post, path + "/escalate", (buyer, "buyer"), clientIp: ip)).Ok) return;
                await api.Send("case-arbitrate", HttpMethod.Post, $"/v1/admin/after-sales/{caseId}/arbitration", ("ops-load", "admin"),
                    new { outcome = "refundPart", amount = 200, note = "load test" });
                break;
        }
    }

    /// <summary>
    /// The full paid flow ends when the sandbox's signed callback has marked the order paid. The buyer's app polls
    /// like a cashier page: first when the sandbox should have paid (its completion delay is 200 ms), then every
    /// 200 ms. Polls are load on the system too, so they are reported as an operation of their own.
    /// </summary>
    private async Task<string?> WaitPaidAsync(string orderId, string buyer, long flowStart)
    {
        await Task.Delay(300);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var order = await api.Send("poll", HttpMethod.Get, $"/v1/orders/{orderId}", (buyer, "buyer"));
            var status = order.Ok ? order.Body.GetProperty("status").GetString() : null;
            if (status is not null and not "pendingPayment")
            {
                metrics.Record("paid-flow", flowStart, status == "paid" ? null : "ended " + status);
                return status;
            }
            await Task.Delay(200);
        }
        metrics.Record("paid-flow", flowStart, "callback not seen in 10 s");
        return null;
    }

    // ---- flash sale ---------------------------------------------------------------------------

    public async Task SetUpFlashSaleAsync()
    {
        await world.SetUpAsync(api, options, 1, options.Stock, progress, flashSale: true);
        await world.JoinViewersAsync(api, Math.Min(options.Viewers, 200), _ => world.Rooms[0]);
    }

    public async Task RunFlashSaleAsync(CancellationToken stop)
    {
        var room = world.Rooms[0];
        progress($"flash sale: {options.Stock} units, {world.Buyers.Count} buyers, {options.Concurrency} pressing at once");
        metrics.StartMeasuring();
        var clock = Stopwatch.StartNew();
        long accepted = 0, soldOut = 0;
        double soldOutAt = 0;
        await Parallel.ForEachAsync(world.Buyers, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = stop }, async (buyer, _) =>
        {
            var key = "flash";
            var reply = await api.Send("reserve", HttpMethod.Post, "/v1/orders", (buyer, "buyer"),
                new { roomId = room.RoomId, productId = room.ProductId, quantity = 1 }, key + buyer, world.BuyerIp(buyer), null,
                [HttpStatusCode.Created], r => r.Code is "stock.sold_out" ? "sold_out" : r.Code is "risk.rejected" ? "risk_rejected" : null);
            if (reply.Status == HttpStatusCode.Created)
            {
                world.Acknowledge(key + buyer, reply);
                if (Interlocked.Increment(ref accepted) == options.Stock) soldOutAt = clock.Elapsed.TotalSeconds;
            }
            else if (reply.Code == "stock.sold_out") Interlocked.Increment(ref soldOut);
        });
        metrics.MeasuredSeconds = clock.Elapsed.TotalSeconds;
        FlashSaleResult = new FlashResult(options.Stock, accepted, soldOut, soldOutAt, accepted / Math.Max(soldOutAt > 0 ? soldOutAt : clock.Elapsed.TotalSeconds, 1e-9));
    }

    public FlashResult? FlashSaleResult { get; private set; }

    public sealed record FlashResult(int Stock, long Accepted, long SoldOutAnswers, double SecondsToSellOut, double ReservationsPerSecond);

    // ---- load shapes --------------------------------------------------------------------------

    /// <summary>
    /// Starts <paramref name="work"/> at a fixed rate whatever the latency: each call's latency counts from when it was
    /// due, so a slow server cannot hide queueing (no coordinated omission).
    /// </summary>
    private async Task OpenLoop(string name, double rate, Func<long, Task> work, CancellationToken stop)
    {
        if (rate <= 0) return;
        var running = new List<Task>();
        var begin = Stopwatch.GetTimestamp();
        var interval = Stopwatch.Frequency / rate;
        for (long i = 0; !stop.IsCancellationRequested; i++)
        {
            if (name == "flow" && Interlocked.Read(ref _flowsStarted) >= options.MaxRequests) break;
            var due = begin + (long)(i * interval);
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                try { await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency), stop); }
                catch (TaskCanceledException) { break; }
            }
            if (name == "flow" && metrics.Measuring) Interlocked.Increment(ref _flowsStarted);
            running.Add(Task.Run(() => work(due)));
            if (running.Count > 4096) running.RemoveAll(t => t.IsCompleted);
        }
        await Task.WhenAll(running);
    }

    private async Task ClosedLoop(int clients, Func<long, Task> work, CancellationToken stop) =>
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (!stop.IsCancellationRequested && Interlocked.Increment(ref _flowsStarted) <= options.MaxRequests)
                await work(Stopwatch.GetTimestamp());
        }));
}
