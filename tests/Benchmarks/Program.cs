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
          risk   order placement latency with every risk rule enabled vs every rule disabled [--buyers N (150000) in the crowd]
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
    var riskResults = new List<RiskOverheadBenchmark.Result>();
    for (var round = 0; round < options.Rounds; round++)
    {
        // ABBA order (off-on, on-off, ...): the silo slows as placed orders pile up, and a fixed order would charge
        // that drift to whichever mode always runs second.
        foreach (var enabled in round % 2 == 0 ? new[] { false, true } : new[] { true, false })
        {
            await RiskOverheadBenchmark.SetAllRulesAsync(grains, enabled);
            var r = await RiskOverheadBenchmark.RunAsync(setup, enabled ? "all rules enabled" : "all rules disabled", options.Concurrency, options.Duration, options.Warmup);
            riskResults.Add(r);
            Console.WriteLine($"round {round + 1}: {r.Mode}: {r.PerSecond:F0} orders/s, mean {r.MeanMs:F2} ms, rejected {r.Rejected}, flagged {r.Flagged}");
        }
    }
    await RiskOverheadBenchmark.SetAllRulesAsync(grains, true);
    await host.StopAsync();
    var riskReport = RiskReport(riskResults, options);
    Console.WriteLine();
    Console.WriteLine(riskReport);
    Directory.CreateDirectory(options.OutDir);
    await File.WriteAllTextAsync(Path.Combine(options.OutDir, "risk-overhead.md"), riskReport);
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

static string RiskReport(List<RiskOverheadBenchmark.Result> results, Args options)
{
    double Ms(LongHistogram h, double p) => h.GetValueAtPercentile(p) * 1000.0 / Stopwatch.Frequency;
    var sb = new StringBuilder();
    sb.AppendLine(CultureInfo.InvariantCulture, $"Order placement, modes in ABBA order, {options.Concurrency} concurrent callers, {options.Duration.TotalSeconds:F0} s measured after {options.Warmup.TotalSeconds:F0} s warm-up per mode, {Environment.ProcessorCount} cores, PostgreSQL storage");
    sb.AppendLine();
    sb.AppendLine("| mode | round | orders/s | mean ms | p50 ms | p99 ms | rejected by risk | flagged for review | gen2 GCs | GC pause % |");
    sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
    var i = 0;
    foreach (var r in results)
        sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Mode} | {i++ / 2 + 1} | {r.PerSecond:F0} | {r.MeanMs:F2} | {Ms(r.Latency, 50):F2} | {Ms(r.Latency, 99):F2} | {r.Rejected} | {r.Flagged} | {r.Gen2Collections} | {r.GcPausePercent:F1} |");
    var off = results.Where(r => r.Mode.Contains("disabled")).Average(r => r.MeanMs);
    var on = results.Where(r => r.Mode.Contains("enabled")).Average(r => r.MeanMs);
    sb.AppendLine();
    sb.AppendLine(CultureInfo.InvariantCulture, $"Mean placement time: rules disabled {off:F2} ms, enabled {on:F2} ms: risk evaluation adds {(on - off) / off * 100:F1}% ({on - off:F2} ms).");
    return sb.ToString();
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
