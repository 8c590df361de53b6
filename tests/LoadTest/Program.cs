using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.LoadTest;

Options options;
try { options = Options.Parse(args); }
catch (HelpRequested) { Console.WriteLine(Options.Help); return 0; }
catch (Exception e) when (e is ArgumentException or FormatException) { Console.Error.WriteLine(e.Message); return 2; }

void Progress(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
var cluster = new ClusterControl(options, Progress);
var command = "dotnet run -c Release --project tests/LoadTest -- " + string.Join(' ', args);
var results = new List<RunResult>();
var sizes = options.Silos.Length > 0 ? options.Silos : [0];
foreach (var (size, index) in sizes.Select((s, i) => (s, i)))
{
    if (size > 0)
    {
        Progress($"starting a local cluster of {size} silo(s)");
        // A fresh database per size: the previous size's unpaid reservations would otherwise come back with their
        // rooms and expire during this run, and the sizes would not run the same scenario.
        await cluster.ScriptAsync("down", "--purge");
        if (index > 0) Environment.SetEnvironmentVariable("LC_SKIP_BUILD", "1");
        if (await cluster.ScriptAsync("up", "--silos", size.ToString(CultureInfo.InvariantCulture)) != 0) { Progress("cluster did not start"); return 1; }
    }
    results.Add(await RunOnceAsync(size));
}
var dir = Path.Combine(options.ResultsDir, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{options.Scenario}{(options.Smoke ? "-smoke" : "")}");
var report = await Report.WriteAsync(dir, results);
Progress($"report: {report}");
var failed = results.SelectMany(r => r.Invariants).Where(c => !c.Passed).ToList();
var place = results[^1].Operations.GetValueOrDefault("place") ?? results[^1].Operations.GetValueOrDefault("reserve");
Console.WriteLine(failed.Count == 0
    ? $"load test passed: {place?.Ok ?? 0} orders, {results.Sum(r => r.Invariants.Count)} invariants hold"
    : $"load test FAILED: {failed.Count} invariant(s) broken: {string.Join("; ", failed.Select(f => f.Name))}");
return failed.Count == 0 ? 0 : 1;

async Task<RunResult> RunOnceAsync(int silos)
{
    var http = Api.CreateClient();
    var tokens = new Tokens(options, http);
    await tokens.InitializeAsync();
    var metrics = new Metrics();
    var world = new World();
    var api = new Api(options, http, tokens, metrics);
    var scenarios = new Scenarios(options, api, world, metrics, Progress);

    var ready = await http.GetAsync(options.Url + "/health/ready");
    if (!ready.IsSuccessStatusCode) throw new InvalidOperationException($"{options.Url}/health/ready answered {(int)ready.StatusCode}: is the cluster up? (deploy/local-cluster.sh up)");

    if (options.Scenario == "flash-sale") await scenarios.SetUpFlashSaleAsync(); else await scenarios.SetUpLiveEveningAsync();
    // Before the load: a merchant's grant covers only events from then on.
    await using var hooks = options.Webhooks ? await WebhookDrill.SetUpAsync(options, api, http, world, Progress) : null;
    Progress($"set up done (run {world.Run}); load starts");

    using var stop = new CancellationTokenSource();
    cluster.Samples.Clear(); // each cluster size reports its own processes
    var clock = Stopwatch.StartNew();
    KillReport? kill = null;
    double? killedAt = null, restartedAt = null;
    string? drill = null;
    var sampler = Task.Run(async () =>
    {
        long lastPlaced = 0, lastPaid = 0, lastErrors = 0;
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(1000, stop.Token); } catch (TaskCanceledException) { break; }
            var second = Metrics.Elapsed(metrics);
            cluster.Sample(second);
            long placed = metrics.Seconds.Sum(s => s.Value.Completed("place") + s.Value.Completed("reserve")), paid = metrics.Seconds.Sum(s => s.Value.Completed("paid-flow")),
                errors = metrics.Seconds.Sum(s => s.Value.Errors);
            Progress($"t={second:F0}s{(metrics.Measuring ? "" : " (warm-up)")} orders {placed - lastPlaced}/s, paid flows {paid - lastPaid}/s, errors {errors - lastErrors}/s, " +
                     $"{string.Join(", ", cluster.Samples.LastOrDefault().Samples?.Select(p => $"{p.Name} {p.CpuPercent:F0}% {p.RssMb:F0}MB") ?? [])}");
            (lastPlaced, lastPaid, lastErrors) = (placed, paid, errors);
        }
    });

    Task load;
    ViewerLoad? viewerLoad = null;
    Invariants.Check? idleMemory = null;
    if (options.Scenario == "flash-sale")
    {
        stop.CancelAfter(TimeSpan.FromMinutes(10));
        load = scenarios.RunFlashSaleAsync(stop.Token).ContinueWith(_ => stop.Cancel());
    }
    else
    {
        Task? watching = null;
        if (options.Scenario == "viewers")
        {
            viewerLoad = new ViewerLoad(options, world.Rooms.Select(r => r.RoomId).ToList(), Progress);
            var beforeKb = cluster.FrontDoorsRssKb();
            watching = viewerLoad.RunAsync(stop.Token);
            // Before any load: the rooms are quiet, so the connections are idle (heartbeats only).
            if (options.IdleMemory) idleMemory = await viewerLoad.IdleMemoryAsync(cluster.FrontDoorsRssKb, beforeKb, stop.Token);
        }
        _ = Task.Delay(options.Warmup).ContinueWith(_ => { metrics.StartMeasuring(); viewerLoad?.StartMeasuring(); clock.Restart(); });
        stop.CancelAfter(options.Warmup + options.Duration);
        load = scenarios.RunLiveEveningAsync(stop.Token);
        if (watching is not null)
            load = Task.WhenAll(load, watching).ContinueWith(_ => Progress(viewerLoad!.Summary(options.Duration)));
        // The drills: what is stopped, how, and what brings it back (the graceful restart is one script step).
        if (options.KillSiloAt is { } at) Drill(at, "silo 1 killed (SIGKILL)", ["kill-silo", "1"], ["start-silo", "1"]);
        if (options.RestartSiloAt is { } rat) Drill(rat, "silo 1 restarted gracefully (SIGTERM, wait for exit, start)", ["restart-silo", "1"], null);
        if (options.KillApiAt is { } aat) Drill(aat, "front door 1 killed (SIGKILL)", ["kill-api", "1"], ["start-api", "1"]);
        if (options.Urls.Length > 1) _ = api.WatchFrontDoorsAsync(stop.Token);
    }

    void Drill(TimeSpan at, string what, string[] stopCommand, string[]? startCommand)
    {
        drill = what;
        _ = Task.Run(async () =>
        {
            await Task.Delay(options.Warmup + at);
            killedAt = Metrics.Elapsed(metrics);
            Progress(what);
            await cluster.ScriptAsync(stopCommand);
            if (startCommand is not null)
            {
                await Task.Delay(options.RestartAfter);
                Progress($"{string.Join(' ', startCommand)}");
                await cluster.ScriptAsync(startCommand);
            }
            restartedAt = Metrics.Elapsed(metrics);
        });
    }
    await load;
    if (options.Scenario != "flash-sale") metrics.MeasuredSeconds = clock.Elapsed.TotalSeconds;
    await stop.CancelAsync();
    await sampler;
    Progress("load stopped");

    var invariants = new Invariants(options, api, world, Progress);
    if (!options.SkipInvariants) await invariants.RunAsync();
    // A viewer's stock and price are never silently stale: every subscriber saw consecutive event ids.
    if (viewerLoad is not null) invariants.Results.Add(viewerLoad.Check());
    if (idleMemory is not null) invariants.Results.Add(idleMemory);
    // After the books: deliveries went on meanwhile, so the wait is short unless some are really missing.
    var webhooks = hooks is null ? null : await hooks.FinishAsync(invariants);

    var timeline = metrics.Seconds.Select(s => new SecondPoint(s.Key, s.Value.Completed("place") + s.Value.Completed("reserve"), s.Value.Completed("paid-flow"), s.Value.Errors, s.Value.PlaceP99Ms)
        { RequestErrors = s.Value.RequestErrors }).ToList();
    if (killedAt is { } k)
    {
        var after = timeline.Where(p => p.Second >= k).ToList();
        // The error window counts failed requests; a paid flow whose callback came late is reported on its own line.
        var errorSeconds = after.Where(p => p.RequestErrors > 0).ToList();
        var before = timeline.Where(p => p.Second < k && p.Second >= k - 6).ToList();
        var baseline = before.Count == 0 ? 0 : before.Average(p => p.Placed);
        double? recovered = null;
        for (var i = 0; i + 2 < after.Count; i++)
            if (after.Skip(i).Take(3).All(p => p.Errors == 0 && p.Placed >= 0.8 * baseline)) { recovered = after[i].Second - k; break; }
        // The latency spike: the worst per-second placement p99 from the event on, against the seconds before it.
        var spike = after.Count == 0 ? 0 : after.Max(p => p.PlaceP99Ms);
        var before99 = before.Count == 0 ? 0 : before.Average(p => p.PlaceP99Ms);
        var requests = metrics.Operations.Where(o => o.Key != "paid-flow").Sum(o => o.Value.Ok + o.Value.Failed);
        var failed = metrics.Operations.Where(o => o.Key != "paid-flow").Sum(o => o.Value.Failed);
        var failures = metrics.Operations.Where(o => o.Value.Failed > 0)
            .SelectMany(o => o.Value.Errors.Select(e => new FailureCount(o.Key, e.Key, e.Value))).OrderByDescending(f => f.Count).ToList();
        kill = new KillReport(k, restartedAt ?? k, errorSeconds.FirstOrDefault()?.Second, errorSeconds.LastOrDefault()?.Second,
            errorSeconds.Count == 0 ? 0 : errorSeconds[^1].Second - errorSeconds[0].Second + 1, recovered, errorSeconds.Sum(p => p.RequestErrors))
        {
            Event = drill ?? "",
            Requests = requests,
            FailedRequests = failed,
            FailedShare = requests == 0 ? 0 : (double)failed / requests,
            PlaceP99BeforeMs = before99,
            PlaceP99PeakMs = spike,
            Failures = failures,
        };
    }

    var activations = new Dictionary<string, long>();
    var clusterView = await api.Send("admin", HttpMethod.Get, "/v1/admin/cluster", (world.Admin, "admin"), record: false);
    if (clusterView.Ok)
        foreach (var silo in clusterView.Body.GetProperty("silos").EnumerateArray())
            activations[silo.GetProperty("silo").GetString()!] = silo.GetProperty("activations").GetInt64();

    double? tps = options.Pgbench ? await Pgbench.MeasureAsync(Math.Min(options.Concurrency, 30), Progress) : null;
    var seconds = Math.Max(metrics.MeasuredSeconds, 1e-9);
    var operations = metrics.Operations.ToDictionary(o => o.Key, o => new OperationSummary(o.Value.Ok, o.Value.Failed, o.Value.Ok / seconds,
        o.Value.PercentileMs(50), o.Value.PercentileMs(90), o.Value.PercentileMs(99), o.Value.PercentileMs(99.9), o.Value.MaxMs, o.Value.Errors, o.Value.Outcomes));
    var durable = operations.TryGetValue("place", out var p) ? p.PerSecond : operations.TryGetValue("reserve", out var r) ? (options.Scenario == "flash-sale" ? scenarios.FlashSaleResult?.ReservationsPerSecond : r.PerSecond) : null;
    var processes = cluster.Samples.SelectMany(s => s.Samples).GroupBy(s => s.Name)
        .Select(g => new ProcessSummary(g.Key, g.Skip(1).DefaultIfEmpty(g.First()).Average(x => x.CpuPercent), g.Max(x => x.CpuPercent), g.Max(x => x.RssMb))).OrderBy(x => x.Name).ToList();
    var machine = $"{Environment.ProcessorCount} cores, {MemoryGb():F0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    return new RunResult(options.Scenario, options.Mode, silos == 0 ? cluster.Processes().Count(x => x.Key.StartsWith("silo")) : silos, metrics.MeasuredSeconds,
        operations, timeline, processes, invariants.Results, scenarios.FlashSaleResult, kill, activations, tps, durable, DateTimeOffset.UtcNow, machine, command) { Webhooks = webhooks };
}

static double MemoryGb()
{
    try { return long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0; }
    catch (IOException) { return 0; }
}
