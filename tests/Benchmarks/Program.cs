using System.Diagnostics;
using System.Globalization;
using System.Text;
using HdrHistogram;
using LiveCommerce.Benchmarks;
using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans;

// Usage: dotnet run -c Release --project tests/Benchmarks -- room|risk|buyers --connection "<npgsql>" [--seconds 15] [--warmup 3] [--concurrency 200] [--rounds 2] [--buyers 100000]
var options = Args.Parse(args);
if (options.Command is not ("room" or "risk" or "buyers"))
{
    Console.WriteLine("""
        LiveCommerce benchmarks (need PostgreSQL; see docs/BENCHMARKS.md)
          room   reservations/s on one hot LiveRoom grain vs a naive one-write-per-reservation grain
          risk   order placement latency with every risk rule enabled vs every rule disabled, switched every --seconds
                 under one load, --rounds pairs of slices [--buyers N (150000) in the crowd]
          buyers working set of one silo with --buyers N (100000) active buyer grains [--hold S: stay up S s after]
        options: --connection <npgsql connection string> (or LIVECOMMERCE_BENCH_POSTGRES)
                 --seconds N (15) --warmup N (3) --concurrency N (200) --rounds N (2) --out DIR (results/bench)
        """);
    return options.Command is "help" or "--help" ? 0 : 2;
}

await new PostgresSchema(NullLogger<PostgresSchema>.Instance).ApplyAsync(options.Connection);
var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["LiveCommerce:Profile"] = "Postgres",
    ["LiveCommerce:ClusterId"] = "bench-" + Guid.NewGuid().ToString("N")[..6],
    ["LiveCommerce:ServiceId"] = "bench",
    ["LiveCommerce:Silo:SiloPort"] = "11811",
    ["LiveCommerce:Silo:GatewayPort"] = "30811",
    ["LiveCommerce:Postgres:ConnectionString"] = options.Connection,
    // The dashboard samples every Orleans instrument (activation counts included) each second: ~8% of the CPU here,
    // growing with activations. It is an operator's tool, not part of what these benchmarks measure.
    ["LiveCommerce:Dashboard"] = "false",
    // One silo on loopback whose grains are called in-process: no Orleans connection is opened, so no certificates.
    // (TLS off is accepted outside the embedded profile only for a silo listening on loopback, with a warning.)
    ["LiveCommerce:ClusterTls:Enabled"] = "false",
    // Outside the embedded profile a silo refuses the default callback secret; no front door runs here.
    ["LiveCommerce:Payments:Sandbox:CallbackSecret"] = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
    ["LiveCommerce:Payments:Sandbox:CallbackUrl"] = "http://127.0.0.1:9/v1/payments/callbacks/sandbox",
});
builder.UseOrleans(silo => silo.AddLiveCommerce(builder.Configuration));
using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();

if (options.Command == "buyers")
{
    var memory = await BuyerMemoryBenchmark.RunAsync(grains, options.Buyers ?? 100_000, Console.WriteLine);
    if (options.HoldSeconds > 0)
    {
        // Time to attach dotnet-gcdump or dotnet-counters to the loaded silo.
        Console.WriteLine($"holding {options.HoldSeconds} s with the buyers active (pid {Environment.ProcessId})");
        await Task.Delay(TimeSpan.FromSeconds(options.HoldSeconds));
    }
    await host.StopAsync();
    var memoryReport = MemoryReport(memory);
    Console.WriteLine();
    Console.WriteLine(memoryReport);
    Directory.CreateDirectory(options.OutDir);
    await File.WriteAllTextAsync(Path.Combine(options.OutDir, "buyer-memory.md"), memoryReport);
    return 0;
}

if (options.Command == "risk")
{
    // At 3 orders per buyer per minute (the buyer-burst threshold) and up to ~6,500 orders/s, 150,000 buyers keep
    // every buyer under it.
    var registering = Stopwatch.StartNew();
    var setup = await RiskOverheadBenchmark.PrepareAsync(grains, buyerCount: options.Buyers ?? 150_000);
    Console.WriteLine($"{setup.Buyers.Length} buyers registered in {registering.Elapsed.TotalSeconds:F0} s");
    var slices = await RiskOverheadBenchmark.RunInterleavedAsync(setup, options.Concurrency, options.Duration, options.Rounds, options.Warmup,
        settle: TimeSpan.FromMilliseconds(300));
    await RiskOverheadBenchmark.SetAllRulesAsync(grains, true);
    await host.StopAsync();
    var riskReport = RiskReport(slices, options);
    Console.WriteLine();
    Console.WriteLine(riskReport);
    Directory.CreateDirectory(options.OutDir);
    await File.WriteAllTextAsync(Path.Combine(options.OutDir, "risk-overhead.md"), riskReport);
    await File.WriteAllLinesAsync(Path.Combine(options.OutDir, "risk-overhead-slices.csv"),
        slices.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Index},{(s.Enabled ? "enabled" : "disabled")},{s.Orders},{s.PerSecond:F0},{s.MeanMs:F2},{s.CpuMicrosecondsPerOrder:F0}"))
            .Prepend("slice,rules,orders,orders_per_s,mean_ms,cpu_us_per_order"));
    return 0;
}

var results = new List<RoomReservationBenchmark.Result>();
for (var round = 0; round < options.Rounds; round++)
{
    foreach (var naive in new[] { false, true })
    {
        var writesBefore = await StorageWritesAsync(options.Connection);
        var result = naive
            ? await RoomReservationBenchmark.RunNaiveAsync(grains, options.Concurrency, options.Duration, options.Warmup)
            : await RoomReservationBenchmark.RunRealAsync(grains, options.Concurrency, options.Duration, options.Warmup);
        await Task.Delay(1500); // PostgreSQL publishes table statistics shortly after commit
        result = result with { StorageWrites = await StorageWritesAsync(options.Connection) - writesBefore };
        results.Add(result);
        Console.WriteLine($"round {round + 1}: {result.Name}: {result.PerSecond:F0} reservations/s, {result.StorageWrites} database commits (incl. warm-up)");
    }
}
await host.StopAsync();

var report = Report(results, options);
Console.WriteLine();
Console.WriteLine(report);
Directory.CreateDirectory(options.OutDir);
await File.WriteAllTextAsync(Path.Combine(options.OutDir, "room-reservations.md"), report);
return 0;

static async Task<long> StorageWritesAsync(string connection)
{
    await using var c = new NpgsqlConnection(connection);
    await c.OpenAsync();
    // Commits, not rows: the real room writes stock lines in batches (many rows per commit), the naive one its state
    // per call. Every commit on the benchmark's database counts, background work (membership, reminders) included.
    await using var cmd = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", c);
    return (long)(await cmd.ExecuteScalarAsync())!;
}

static string Report(List<RoomReservationBenchmark.Result> results, Args options)
{
    double Ms(LongHistogram h, double p) => h.GetValueAtPercentile(p) * 1000.0 / Stopwatch.Frequency;
    var sb = new StringBuilder();
    sb.AppendLine(CultureInfo.InvariantCulture, $"Hot room, {options.Concurrency} concurrent callers, {options.Duration.TotalSeconds:F0} s measured after {options.Warmup.TotalSeconds:F0} s warm-up, {Environment.ProcessorCount} cores, PostgreSQL storage");
    sb.AppendLine();
    sb.AppendLine("| grain | round | reservations/s | p50 ms (reserve + commit) | p99 ms | database commits | reservations per commit |");
    sb.AppendLine("|---|---|---|---|---|---|---|");
    var round = 0;
    foreach (var r in results)
    {
        // Commits are counted over warm-up and measurement, so divide by every reservation made in both.
        var perWrite = r.StorageWrites == 0 ? 0 : (double)r.AllReservations / r.StorageWrites;
        sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {round / 2 + 1} | {r.PerSecond:F0} | {Ms(r.Latency, 50):F1} | {Ms(r.Latency, 99):F1} | {r.StorageWrites} | {perWrite:F1} |");
        round++;
    }
    var real = results.Where((_, i) => i % 2 == 0).Average(r => r.PerSecond);
    var naive = results.Where((_, i) => i % 2 == 1).Average(r => r.PerSecond);
    sb.AppendLine();
    sb.AppendLine(CultureInfo.InvariantCulture, $"Mean: coalesced {real:F0}/s, naive {naive:F0}/s, ratio {real / naive:F1}x.");
    return sb.ToString();
}

static string RiskReport(List<RiskOverheadBenchmark.Slice> slices, Args options)
{
    var sb = new StringBuilder();
    sb.AppendLine(CultureInfo.InvariantCulture, $"Order placement under one continuous load of {options.Concurrency} concurrent callers; all rules switched off/on every {options.Duration.TotalSeconds:F0} s in the order off, on, on, off, ... ({options.Rounds} pairs of slices, after {options.Warmup.TotalSeconds:F0} s warm-up); {Environment.ProcessorCount} cores, PostgreSQL storage");
    sb.AppendLine();
    sb.AppendLine("| rules | slices | orders | orders/s | mean ms | p50 ms | p99 ms | process CPU µs per order | rejected by risk | flagged for review |");
    sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
    var modes = new Dictionary<bool, (double MeanMs, double Cpu)>();
    foreach (var enabled in new[] { false, true })
    {
        var mine = slices.Where(s => s.Enabled == enabled).ToList();
        var all = new LongHistogram(TimeStamp.Seconds(60), 3);
        foreach (var s in mine) all.Add(s.Latency);
        double Ms(double p) => all.GetValueAtPercentile(p) * 1000.0 / Stopwatch.Frequency;
        var mean = all.GetMean() * 1000.0 / Stopwatch.Frequency;
        var cpu = mine.Sum(s => s.CpuMicroseconds) / Math.Max(1, mine.Sum(s => s.Orders));
        modes[enabled] = (mean, cpu);
        sb.AppendLine(CultureInfo.InvariantCulture, $"| {(enabled ? "all enabled" : "all disabled")} | {mine.Count} | {mine.Sum(s => s.Orders)} | {mine.Sum(s => s.Orders) / mine.Sum(s => s.Seconds):F0} | {mean:F2} | {Ms(50):F2} | {Ms(99):F2} | {cpu:F0} | {mine.Sum(s => s.Rejected)} | {mine.Sum(s => s.Flagged)} |");
    }
    // Each adjacent pair of slices holds one of each mode: the pairs' differences carry the noise estimate.
    var differences = slices.Chunk(2).Where(p => p.Length == 2)
        .Select(p => (p.Single(s => s.Enabled).MeanMs / p.Single(s => !s.Enabled).MeanMs - 1) * 100).ToList();
    var (median, low, high) = MedianWithInterval(differences);
    var (off, on) = (modes[false], modes[true]);
    sb.AppendLine();
    sb.AppendLine(CultureInfo.InvariantCulture, $"Mean placement time: rules disabled {off.MeanMs:F2} ms, enabled {on.MeanMs:F2} ms: risk evaluation adds {(on.MeanMs - off.MeanMs) / off.MeanMs * 100:F1}% ({on.MeanMs - off.MeanMs:F2} ms).");
    // The median: one stall (a full GC, a database checkpoint) inside one slice moves the mean of the pairs a lot.
    sb.AppendLine(CultureInfo.InvariantCulture, $"Per pair of slices (enabled vs disabled mean time): median {median:+0.0;-0.0}%, 95% interval of the median {low:+0.0;-0.0}% to {high:+0.0;-0.0}% ({differences.Count} pairs).");
    sb.AppendLine(CultureInfo.InvariantCulture, $"CPU per order: rules disabled {off.Cpu:F0} µs, enabled {on.Cpu:F0} µs: {(on.Cpu - off.Cpu) / off.Cpu * 100:+0.0;-0.0}%.");
    return sb.ToString();
}

// The median and a distribution-free 95% interval for it: the k-th smallest and k-th largest values, with k the
// largest for which a Binomial(n, 1/2) falls below k with probability at most 2.5%.
static (double Median, double Low, double High) MedianWithInterval(IReadOnlyList<double> values)
{
    var sorted = values.Order().ToArray();
    var n = sorted.Length;
    if (n == 0) return (double.NaN, double.NaN, double.NaN);
    var median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    double below = 0, term = Math.Pow(0.5, n); // P(X = 0)
    var k = 0;
    while (k < n / 2 && below + term <= 0.025)
    {
        below += term;
        k++;
        term = term * (n - k + 1) / k; // P(X = k)
    }
    return k == 0 ? (median, double.NaN, double.NaN) : (median, sorted[k - 1], sorted[n - k]);
}

static string MemoryReport(BuyerMemoryBenchmark.Result r)
{
    static double Mb(long b) => BuyerMemoryBenchmark.Mb(b);
    var sb = new StringBuilder();
    sb.AppendLine(CultureInfo.InvariantCulture, $"{r.Buyers} buyer grains registered and kept active in one silo ({(r.ServerGc ? "server" : "workstation")} GC, memory available to the GC {Mb(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes)} MB, {Environment.ProcessorCount} cores, PostgreSQL storage); activation took {r.ActivationTime.TotalSeconds:F0} s");
    sb.AppendLine();
    sb.AppendLine("| moment | working set MB | managed heap MB | buyer activations | all activations |");
    sb.AppendLine("|---|---|---|---|---|");
    foreach (var s in new[] { r.Baseline, r.Loaded, r.LoadedAfterFullGc })
        sb.AppendLine(CultureInfo.InvariantCulture, $"| {s.Label} | {Mb(s.WorkingSetBytes)} | {Mb(s.ManagedHeapBytes)} | {s.BuyerActivations} | {s.AllActivations} |");
    sb.AppendLine();
    sb.AppendLine(CultureInfo.InvariantCulture, $"Working set with the buyers active: {Mb(r.Loaded.WorkingSetBytes)} MB before and {Mb(r.LoadedAfterFullGc.WorkingSetBytes)} MB after a full GC (target 500 MB); {r.BytesPerBuyer / 1024:F1} KiB per buyer above the baseline.");
    return sb.ToString();
}

sealed record Args(string Command, string Connection, TimeSpan Duration, TimeSpan Warmup, int Concurrency, int Rounds, string OutDir, int? Buyers, int HoldSeconds)
{
    public static Args Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        return new Args(
            args.Length > 0 ? args[0] : "help",
            Get("--connection", Environment.GetEnvironmentVariable("LIVECOMMERCE_BENCH_POSTGRES") ?? ""),
            TimeSpan.FromSeconds(int.Parse(Get("--seconds", "15"), CultureInfo.InvariantCulture)),
            TimeSpan.FromSeconds(int.Parse(Get("--warmup", "3"), CultureInfo.InvariantCulture)),
            int.Parse(Get("--concurrency", "200"), CultureInfo.InvariantCulture),
            int.Parse(Get("--rounds", "2"), CultureInfo.InvariantCulture),
            Get("--out", "results/bench"),
            Get("--buyers", "") is { Length: > 0 } buyers ? int.Parse(buyers, CultureInfo.InvariantCulture) : null,
            int.Parse(Get("--hold", "0"), CultureInfo.InvariantCulture));
    }
}
