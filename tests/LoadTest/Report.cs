using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LiveCommerce.LoadTest;

/// <summary>One run's results: what JSON and Markdown reports and the chart are made of.</summary>
public sealed record RunResult(
    string Scenario, string Mode, int Silos, double MeasuredSeconds, Dictionary<string, OperationSummary> Operations,
    List<SecondPoint> Timeline, List<ProcessSummary> Processes, List<Invariants.Check> Invariants,
    Scenarios.FlashResult? FlashSale, KillReport? Kill, Dictionary<string, long> ActivationsBySilo, double? PgbenchTps,
    double? DurableOrdersPerSecond, DateTimeOffset At, string Machine, string Command)
{
    /// <summary>With <c>--webhooks</c>: the order.paid deliveries the generator's receiver counted.</summary>
    public WebhookSummary? Webhooks { get; init; }
}

public sealed record OperationSummary(long Ok, long Failed, double PerSecond, double P50, double P90, double P99, double P999, double Max,
    IReadOnlyDictionary<string, long> Errors, IReadOnlyDictionary<string, long> Outcomes);

public sealed record SecondPoint(double Second, long Placed, long PaidFlows, long Errors, double PlaceP99Ms)
{
    /// <summary>Of <see cref="Errors"/>, the failed HTTP requests.</summary>
    public long RequestErrors { get; init; }
}

public sealed record ProcessSummary(string Name, double AvgCpuPercent, double MaxCpuPercent, double MaxRssMb);

public sealed record KillReport(double KilledAtSecond, double RestartedAtSecond, double? FirstErrorSecond, double? LastErrorSecond,
    double? ErrorWindowSeconds, double? RecoverySeconds, long ErrorsDuringWindow)
{
    /// <summary>What was done (SIGKILL of a silo, graceful restart, SIGKILL of a front door).</summary>
    public string Event { get; init; } = "";
    /// <summary>HTTP requests in the measured run, and how many failed (the drill's share of failures is the target).</summary>
    public long Requests { get; init; }
    public long FailedRequests { get; init; }
    public double FailedShare { get; init; }
    /// <summary>Placement p99 per second: mean over the 6 s before the event, worst second after it.</summary>
    public double PlaceP99BeforeMs { get; init; }
    public double PlaceP99PeakMs { get; init; }
    public List<FailureCount> Failures { get; init; } = [];
}

public sealed record FailureCount(string Operation, string Kind, long Count);

public static class Report
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<string> WriteAsync(string dir, IReadOnlyList<RunResult> runs)
    {
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "result.json"), JsonSerializer.Serialize(runs, Json));
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Load test: {runs[0].Scenario} ({runs[0].Mode} loop)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{runs[0].At:yyyy-MM-dd HH:mm} UTC, {runs[0].Machine}");
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine(runs[0].Command);
        md.AppendLine("```");
        if (runs.Count > 1)
        {
            md.AppendLine();
            md.AppendLine("| silos | orders/s | place p99 ms | paid flows/s | paid-flow p99 ms | errors | activations per silo |");
            md.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var r in runs)
            {
                var place = r.Operations.GetValueOrDefault("place") ?? r.Operations.GetValueOrDefault("reserve");
                var paid = r.Operations.GetValueOrDefault("paid-flow");
                md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Silos} | {place?.PerSecond:F0} | {place?.P99:F1} | {paid?.PerSecond:F0} | {paid?.P99:F1} | {r.Operations.Values.Sum(o => o.Failed)} | {string.Join(", ", r.ActivationsBySilo.Select(a => $"{a.Key}: {a.Value}"))} |");
            }
        }
        for (var i = 0; i < runs.Count; i++)
        {
            var r = runs[i];
            var chart = $"chart-{r.Silos}-silos.svg";
            await File.WriteAllTextAsync(Path.Combine(dir, chart), Svg(r));
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"## {r.Silos} silo(s), {r.MeasuredSeconds:F0} s measured");
            md.AppendLine();
            md.AppendLine("| operation | ok | failed | per s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors / outcomes |");
            md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
            foreach (var (name, o) in r.Operations.OrderBy(o => o.Key))
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {o.Ok} | {o.Failed} | {o.PerSecond:F1} | {o.P50:F1} | {o.P90:F1} | {o.P99:F1} | {o.P999:F1} | {o.Max:F1} | {string.Join("; ", o.Errors.Select(e => $"{e.Key}: {e.Value}").Concat(o.Outcomes.Select(e => $"{e.Key}: {e.Value}")))} |");
            if (r.FlashSale is { } f)
            {
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture, $"Flash sale: {f.Stock} units, {f.Accepted} orders accepted, {f.SoldOutAnswers} sold-out answers; sold out after {f.SecondsToSellOut:F2} s: **{f.ReservationsPerSecond:F0} reservations/s**.");
            }
            if (r.PgbenchTps is { } tps)
            {
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture, $"PostgreSQL baseline (pgbench simple-update, same server): {tps:F0} tps; durable orders/s: {r.DurableOrdersPerSecond:F0} ({r.DurableOrdersPerSecond / tps:P0} of the baseline).");
            }
            if (r.Kill is { } k)
            {
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture, $"Drill: {k.Event} at {k.KilledAtSecond:F0} s, back at {k.RestartedAtSecond:F0} s. Errors from {k.FirstErrorSecond?.ToString("F0", CultureInfo.InvariantCulture) ?? "-"} s to {k.LastErrorSecond?.ToString("F0", CultureInfo.InvariantCulture) ?? "-"} s (**error window {k.ErrorWindowSeconds?.ToString("F0", CultureInfo.InvariantCulture) ?? "0"} s**, {k.ErrorsDuringWindow} errors); recovered {k.RecoverySeconds?.ToString("F0", CultureInfo.InvariantCulture) ?? "not within the run"} s after the event.");
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture, $"**{k.FailedRequests} of {k.Requests} requests failed ({k.FailedShare:P2})**; placement p99 per second: {k.PlaceP99BeforeMs:F0} ms before, worst second {k.PlaceP99PeakMs:F0} ms after.");
                if (k.Failures.Count > 0)
                {
                    md.AppendLine();
                    md.AppendLine("| operation | failure | count |");
                    md.AppendLine("|---|---|---|");
                    foreach (var fc in k.Failures) md.AppendLine(CultureInfo.InvariantCulture, $"| {fc.Operation} | {fc.Kind} | {fc.Count} |");
                }
            }
            if (r.Webhooks is { } w)
            {
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture, $"Webhooks (app {w.ClientId}, order.paid to the generator's receiver): **{w.Delivered} of {w.PaidOrders} paid orders delivered at least once**, " +
                    $"{w.Missing} missing{(w.Missing > 0 ? $" (e.g. {string.Join(", ", w.MissingExamples)})" : "")} after waiting {w.WaitedSeconds:F0} s; " +
                    $"{w.Deliveries} deliveries, {w.Duplicates} duplicates ({w.OrdersWithSeveralEventIds} orders with more than one event id), {w.BadSignatures} bad signatures, " +
                    $"{w.DeliveredNotSeenPaid} delivered for orders the generator did not see paid; from seeing the order paid to its first delivery: " +
                    $"p50 {Ms(w.FirstDeliveryP50Ms)}, p99 {Ms(w.FirstDeliveryP99Ms)}.");
            }
            md.AppendLine();
            md.AppendLine("| process | avg CPU % | max CPU % | max RSS MB |");
            md.AppendLine("|---|---|---|---|");
            foreach (var p in r.Processes) md.AppendLine(CultureInfo.InvariantCulture, $"| {p.Name} | {p.AvgCpuPercent:F0} | {p.MaxCpuPercent:F0} | {p.MaxRssMb:F0} |");
            md.AppendLine();
            md.AppendLine("| invariant | result | detail |");
            md.AppendLine("|---|---|---|");
            foreach (var c in r.Invariants) md.AppendLine($"| {c.Name} | {(c.Passed ? "ok" : "**FAILED**")} | {c.Detail} |");
            md.AppendLine();
            md.AppendLine($"![throughput and latency]({chart})");
        }
        var path = Path.Combine(dir, "report.md");
        await File.WriteAllTextAsync(path, md.ToString());
        return path;
    }

    private static string Ms(double? ms) => ms is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) + " ms" : "-";

    /// <summary>Orders per second and place p99 per second, with the kill and restart marked.</summary>
    public static string Svg(RunResult r)
    {
        const int w = 900, h = 420, left = 60, right = 60, top = 30, mid = 200, bottom = 390;
        var points = r.Timeline;
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">");
        sb.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        if (points.Count < 2) { sb.AppendLine("<text x=\"20\" y=\"40\">not enough data</text></svg>"); return sb.ToString(); }
        var maxT = points.Max(p => p.Second);
        var minT = points.Min(p => p.Second);
        double X(double t) => left + (t - minT) / Math.Max(1, maxT - minT) * (w - left - right);
        void Panel(string title, int y0, int y1, Func<SecondPoint, double> value, string color, Func<SecondPoint, double>? second = null, string? color2 = null)
        {
            var max = Math.Max(1, points.Max(p => Math.Max(value(p), second?.Invoke(p) ?? 0)));
            double Y(double v) => y1 - v / max * (y1 - y0);
            sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{y0 - 8}\" font-weight=\"bold\">{title}</text>");
            sb.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{y1}\" x2=\"{w - right}\" y2=\"{y1}\" stroke=\"#999\"/><line x1=\"{left}\" y1=\"{y0}\" x2=\"{left}\" y2=\"{y1}\" stroke=\"#999\"/>");
            for (var g = 0; g <= 4; g++)
            {
                var v = max * g / 4;
                sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{Y(v) + 4:F0}\" text-anchor=\"end\" fill=\"#555\">{v:F0}</text><line x1=\"{left}\" y1=\"{Y(v):F0}\" x2=\"{w - right}\" y2=\"{Y(v):F0}\" stroke=\"#eee\"/>");
            }
            sb.AppendLine($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.Second):F1},{Y(value(p)):F1}")))}\"/>");
            if (second is not null)
                sb.AppendLine($"<polyline fill=\"none\" stroke=\"{color2}\" stroke-width=\"1.5\" points=\"{string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.Second):F1},{Y(second(p)):F1}")))}\"/>");
        }
        Panel("per second: orders placed (blue), paid flows (green), errors (red)", top + 10, mid, p => p.Placed, "#2563eb", p => p.PaidFlows, "#16a34a");
        var maxErrors = Math.Max(1, points.Max(p => p.Errors));
        sb.AppendLine($"<polyline fill=\"none\" stroke=\"#dc2626\" stroke-width=\"1\" points=\"{string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.Second):F1},{mid - p.Errors / (double)Math.Max(maxErrors, points.Max(q => q.Placed)) * (mid - top - 10):F1}")))}\"/>");
        Panel("order placement p99 per second, ms", mid + 40, bottom, p => p.PlaceP99Ms, "#9333ea");
        if (r.Kill is { } k)
            foreach (var (t, label) in new[] { (k.KilledAtSecond, "stopped"), (k.RestartedAtSecond, "back") })
                sb.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{X(t):F0}\" y1=\"{top}\" x2=\"{X(t):F0}\" y2=\"{bottom}\" stroke=\"#f59e0b\" stroke-dasharray=\"4 3\"/><text x=\"{X(t) + 3:F0}\" y=\"{top + 8}\" fill=\"#b45309\">{label}</text>");
        sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{w / 2}\" y=\"{h - 6}\" text-anchor=\"middle\" fill=\"#555\">seconds since start (warm-up included)</text>");
        sb.AppendLine("</svg>");
        return sb.ToString();
    }
}
