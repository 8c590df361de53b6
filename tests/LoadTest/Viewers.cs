using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace LiveCommerce.LoadTest;

/// <summary>
/// The viewers scenario's subscribers: S Server-Sent-Events streams spread over the rooms, each checking that event
/// ids are contiguous (a stock or price delta never silently missed) and timing each tick from its server time to
/// its receipt. Anonymous, like most viewers.
/// </summary>
public sealed class ViewerLoad(Options options, IReadOnlyList<string> roomIds, Action<string> progress)
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    { Timeout = Timeout.InfiniteTimeSpan };
    private readonly List<double> _latencies = [];
    // Ticks that carry a stock delta: the target is on these (stock must never lag).
    private readonly List<double> _stockLatencies = [];
    private readonly Lock _gate = new();
    private long _connected, _maxConnected, _ticks, _gaps, _snapshots, _dropped, _failed;

    public long Connected => Interlocked.Read(ref _connected);

    public async Task RunAsync(CancellationToken stop)
    {
        var viewers = new List<Task>();
        for (var i = 0; i < options.Subscribers; i++)
        {
            viewers.Add(ViewAsync(roomIds[i % roomIds.Count], stop));
            if (i % 200 == 199) await Task.Delay(50, stop).ContinueWith(_ => { }); // open gradually
        }
        progress($"{options.Subscribers} subscribers opening");
        await Task.WhenAll(viewers);
    }

    private async Task ViewAsync(string roomId, CancellationToken stop)
    {
        string? lastId = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{options.NextUrl()}/v1/rooms/{roomId}/events");
                if (lastId is not null) request.Headers.Add("Last-Event-ID", lastId);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
                response.EnsureSuccessStatusCode();
                var now = Interlocked.Increment(ref _connected);
                long max;
                while (now > (max = Interlocked.Read(ref _maxConnected)) && Interlocked.CompareExchange(ref _maxConnected, now, max) != max) { }
                try
                {
                    await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(stop)).EnumerateAsync(stop))
                    {
                        if (item.EventType == "heartbeat") continue;
                        var id = long.Parse(item.EventId!);
                        if (item.EventType == "snapshot") { Interlocked.Increment(ref _snapshots); lastId = item.EventId; continue; }
                        if (lastId is not null && id != long.Parse(lastId) + 1) Interlocked.Increment(ref _gaps);
                        lastId = item.EventId;
                        Interlocked.Increment(ref _ticks);
                        using var tick = JsonDocument.Parse(item.Data);
                        var at = tick.RootElement.GetProperty("at").GetDateTimeOffset();
                        var ms = (DateTimeOffset.UtcNow - at).TotalMilliseconds;
                        var stock = false;
                        foreach (var delta in tick.RootElement.GetProperty("deltas").EnumerateArray())
                            if (delta.GetProperty("type").ValueEquals("stock")) { stock = true; break; }
                        lock (_gate)
                        {
                            if (_latencies.Count < 5_000_000) _latencies.Add(ms);
                            if (stock && _stockLatencies.Count < 5_000_000) _stockLatencies.Add(ms);
                        }
                    }
                }
                finally { Interlocked.Decrement(ref _connected); }
                if (!stop.IsCancellationRequested) Interlocked.Increment(ref _dropped); // ended by the server: resume
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception) { Interlocked.Increment(ref _failed); await Task.Delay(500, stop).ContinueWith(_ => { }); }
        }
    }

    /// <summary>Passes when viewers received ticks and no stream skipped an event id.</summary>
    public Invariants.Check Check() =>
        new("viewers: every stream's event ids consecutive", Interlocked.Read(ref _gaps) == 0 && Interlocked.Read(ref _ticks) > 0,
            $"ticks delivered {Interlocked.Read(ref _ticks)}, event-id gaps {Interlocked.Read(ref _gaps)}, connection failures {Interlocked.Read(ref _failed)}");

    /// <summary>
    /// Waits until every subscriber holds its stream, lets the front doors settle, and checks the growth of their
    /// resident memory over <paramref name="beforeKb"/> per connection against the 64 KB.
    /// </summary>
    public async Task<Invariants.Check> IdleMemoryAsync(Func<long> frontDoorsRssKb, long beforeKb, CancellationToken stop)
    {
        var waited = Stopwatch.StartNew();
        while (Connected < options.Subscribers && waited.Elapsed < TimeSpan.FromMinutes(5)) await Task.Delay(500, stop);
        await Task.Delay(TimeSpan.FromSeconds(10), stop);
        var held = Connected;
        var afterKb = frontDoorsRssKb();
        var perConnection = held == 0 ? double.NaN : (afterKb - beforeKb) / (double)held;
        var detail = $"{held} idle connections held after {waited.Elapsed.TotalSeconds:F0} s; front doors' RSS {beforeKb / 1024.0:F0} MB before, " +
                     $"{afterKb / 1024.0:F0} MB after: {perConnection:F1} KB per connection";
        progress("idle memory: " + detail);
        return new("viewers: front-door memory per idle connection at most 64 KB", held == options.Subscribers && perConnection <= 64, detail);
    }

    public string Summary(TimeSpan measured)
    {
        double[] sorted, stock;
        lock (_gate) { sorted = [.. _latencies.Order()]; stock = [.. _stockLatencies.Order()]; }
        static double P(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        static string Latency(double[] s) => $"p50 {P(s, 0.50):F0} ms, p99 {P(s, 0.99):F0} ms, max {(s.Length == 0 ? double.NaN : s[^1]):F0} ms";
        return $"viewers: {options.Subscribers} subscribers over {roomIds.Count} room(s); held at most {Interlocked.Read(ref _maxConnected)} at once; " +
               $"ticks delivered {_ticks} ({_ticks / measured.TotalSeconds:F0}/s); delivery latency (server tick time to receipt) " +
               $"{Latency(sorted)}; ticks with a stock delta {stock.Length}: {Latency(stock)}; " +
               $"event-id gaps {_gaps}; snapshots {_snapshots}; streams ended by the server (slow or dropped) {_dropped}; connection failures {_failed}";
    }
}
