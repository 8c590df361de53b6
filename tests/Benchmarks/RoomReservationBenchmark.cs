using LiveCommerce.Contracts.Offers;
using System.Diagnostics;
using HdrHistogram;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Rooms;
using Orleans;

namespace LiveCommerce.Benchmarks;

/// <summary>
/// Reservations per second on one hot room with durable state in PostgreSQL: the real LiveRoom grain (reentrant,
/// coalesced writes) against the naive grain (one write per call), in one run, same silo, same database. Each
/// worker reserves one unit and then commits it (the buyer paid), so the room holds about as many open
/// reservations as there are callers, as in a flash sale where orders are paid within seconds.
/// </summary>
public static class RoomReservationBenchmark
{
    public sealed record Result(string Name, long Reservations, long AllReservations, double Seconds, LongHistogram Latency)
    {
        public double PerSecond => Reservations / Seconds;
        public long StorageWrites { get; init; }
    }

    public static async Task<Result> RunRealAsync(IGrainFactory grains, int concurrency, TimeSpan duration, TimeSpan warmup)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var streamer = "bench-streamer-" + run;
        var merchant = "bench-merchant-" + run;
        var product = "bench-product-" + run;
        var roomId = "bench-room-" + run;
        await grains.GetGrain<IStreamerGrain>(streamer).CreateProfile(new CreateStreamerProfile("Bench", "Hangzhou"));
        await grains.GetGrain<IProductGrain>(product).Create(merchant, new CreateProduct("Flash item", "beauty", 100));
        var room = grains.GetGrain<ILiveRoomGrain>(roomId);
        await room.Open(streamer, new OpenRoom("Benchmark", "Hangzhou"));
        // The merchant's offer: 500 bp for the streamer, the platform's 500 bp fee, the seller keeps 9,000 bp.
        await grains.GetGrain<IDistributionOfferGrain>(product).Publish(merchant, new PublishOffer(500, 9000, true, []));
        await room.ListProduct(streamer, new ListProduct(product, 100, 50_000_000, null, 10));
        await room.StartLive(streamer);
        var expires = DateTimeOffset.UtcNow.AddHours(1); // well past the run: no sweep interferes
        return await DriveAsync("LiveRoomGrain (reentrant, coalesced writes)", concurrency, duration, warmup, async (worker, n) =>
        {
            var orderId = $"o-{run}-{worker}-{n}";
            var r = await room.Reserve(new ReserveRequest(orderId, $"b-{worker}", product, 1, expires));
            if (r.Outcome != ReserveOutcome.Reserved) return false;
            await room.Commit(orderId, 100);
            return true;
        });
    }

    public static async Task<Result> RunNaiveAsync(IGrainFactory grains, int concurrency, TimeSpan duration, TimeSpan warmup)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var room = grains.GetGrain<INaiveRoomGrain>("naive-room-" + run);
        await room.Stock("p", 50_000_000);
        var expires = DateTimeOffset.UtcNow.AddHours(1);
        return await DriveAsync("Naive (one write per call)", concurrency, duration, warmup, async (worker, n) =>
        {
            var orderId = $"o-{run}-{worker}-{n}";
            if (!await room.Reserve(new ReserveRequest(orderId, $"b-{worker}", "p", 1, expires))) return false;
            await room.Commit(orderId);
            return true;
        });
    }

    private static async Task<Result> DriveAsync(string name, int concurrency, TimeSpan duration, TimeSpan warmup, Func<int, int, Task<bool>> reserve)
    {
        var histogram = new LongHistogram(TimeStamp.Seconds(60), 3);
        long counted = 0, all = 0;
        var measuring = false;
        var stopwatch = new Stopwatch();
        var end = DateTime.UtcNow + warmup + duration;
        var measureFrom = DateTime.UtcNow + warmup;

        var workers = Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var n = 0;
            while (DateTime.UtcNow < end)
            {
                var start = Stopwatch.GetTimestamp();
                if (!await reserve(worker, n++)) throw new InvalidOperationException("a reservation was refused: stock ran out");
                Interlocked.Increment(ref all);
                if (!measuring && DateTime.UtcNow >= measureFrom)
                {
                    lock (histogram)
                    {
                        if (!measuring) { measuring = true; stopwatch.Start(); }
                    }
                }
                if (measuring)
                {
                    Interlocked.Increment(ref counted);
                    lock (histogram) histogram.RecordValue(Stopwatch.GetTimestamp() - start);
                }
            }
        }).ToList();
        await Task.WhenAll(workers);
        stopwatch.Stop();
        return new Result(name, counted, all, stopwatch.Elapsed.TotalSeconds, histogram);
    }
}
