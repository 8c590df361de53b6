using System.Diagnostics;
using System.Runtime;
using LiveCommerce.Contracts.Rooms;
using Orleans;
using Orleans.Runtime;

namespace LiveCommerce.Benchmarks;

/// <summary>
/// Memory of one silo holding many active buyer grains: registers N buyers (each a persisted grain on PostgreSQL),
/// touches them again so they are all active at once, counts the activations through the management grain and reads
/// the process working set and the managed heap before and after.
/// </summary>
public static class BuyerMemoryBenchmark
{
    public sealed record Snapshot(string Label, long WorkingSetBytes, long ManagedHeapBytes, long BuyerActivations, long AllActivations);

    public sealed record Result(int Buyers, bool ServerGc, Snapshot Baseline, Snapshot Loaded, Snapshot LoadedAfterFullGc, TimeSpan ActivationTime)
    {
        public double BytesPerBuyer => (double)(LoadedAfterFullGc.WorkingSetBytes - Baseline.WorkingSetBytes) / Buyers;
    }

    public static async Task<Result> RunAsync(IGrainFactory grains, int buyers, Action<string> progress)
    {
        await Task.Delay(TimeSpan.FromSeconds(3)); // let the silo's own start-up activations settle
        var baseline = await MeasureAsync(grains, "after silo start", fullGc: true);
        progress($"baseline: {Mb(baseline.WorkingSetBytes)} MB working set, {baseline.AllActivations} activations");

        var run = Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, buyers).Select(i => $"mem-{run}-{i}").ToArray();
        var cities = new[] { "Hangzhou", "Shanghai", "Chengdu", "Guangzhou", "Beijing" };
        var stopwatch = Stopwatch.StartNew();
        var done = 0;
        foreach (var chunk in ids.Chunk(500))
        {
            await Task.WhenAll(chunk.Select((id, i) => grains.GetGrain<IBuyerGrain>(id).Register(new RegisterBuyer(cities[i % cities.Length], null))));
            done += chunk.Length;
            if (done % 20_000 == 0) progress($"{done} buyers registered ({done / stopwatch.Elapsed.TotalSeconds:F0}/s)");
        }
        // A second pass proves the first activations are still there (a read of an active grain is a plain call).
        foreach (var chunk in ids.Chunk(1000))
            await Task.WhenAll(chunk.Select(id => grains.GetGrain<IBuyerGrain>(id).Get()));
        var activationTime = stopwatch.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(5)); // buyer events reach their analytics shards
        var loaded = await MeasureAsync(grains, "buyers active", fullGc: false);
        var afterGc = await MeasureAsync(grains, "buyers active, after a full GC", fullGc: true);
        return new Result(buyers, GCSettings.IsServerGC, baseline, loaded, afterGc, activationTime);
    }

    private static async Task<Snapshot> MeasureAsync(IGrainFactory grains, string label, bool fullGc)
    {
        if (fullGc)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        var statistics = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        var buyers = statistics.Where(s => s.GrainType.Contains("BuyerGrain", StringComparison.Ordinal)).Sum(s => (long)s.ActivationCount);
        var all = statistics.Sum(s => (long)s.ActivationCount);
        using var process = Process.GetCurrentProcess();
        return new Snapshot(label, process.WorkingSet64, GC.GetGCMemoryInfo().HeapSizeBytes, buyers, all);
    }

    public static double Mb(long bytes) => Math.Round(bytes / 1024.0 / 1024.0, 1);
}
