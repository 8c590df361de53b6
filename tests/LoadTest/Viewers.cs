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
    // Ticks that carry a stock delta: the issue's target is on these (stock must never lag).
    private readonly List<double> _stockLatencies = [];
    private readonly Lock _gate = new();
    // Why connections failed (first kinds seen, with counts), so a run that could not hold its viewers says why.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _failures = new();
    private long _connected, _maxConnected, _ticks, _measuredTicks, _gaps, _snapshots, _dropped, _failed;
    // Latencies count from the end of the warm-up: the crowd connecting and the processes' first minute (JIT) are not
    // the steady state. Gaps count throughout.
    private volatile bool _measuring;

    /// <summary>The warm-up is over: ticks and latencies from now on are the run's figures.</summary>
    public void StartMeasuring() => _measuring = true;

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
        // Each stream keeps its own latencies and hands them over when it ends: a shared list under a lock, taken
        // 40,000 times a second from every thread, was contended on the generator's share of the 2 cores.
        List<double> latencies = [], stockLatencies = [];
        try { await ViewAsync(roomId, latencies, stockLatencies, stop); }
        finally
        {
            lock (_gate)
            {
                if (_latencies.Count < 5_000_000) _latencies.AddRange(latencies);
                if (_stockLatencies.Count < 5_000_000) _stockLatencies.AddRange(stockLatencies);
            }
        }
    }

    private async Task ViewAsync(string roomId, List<double> latencies, List<double> stockLatencies, CancellationToken stop)
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
                    // Parsed straight from the UTF-8 bytes (no string, no document per event): the generator shares
                    // the 2 cores with what it measures, and 10,000 streams deliver tens of thousands of events a second.
                    await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(stop), ParseEvent).EnumerateAsync(stop))
                    {
                        if (item.EventType == "heartbeat") continue;
                        var id = long.Parse(item.EventId!);
                        if (item.EventType == "snapshot") { Interlocked.Increment(ref _snapshots); lastId = item.EventId; continue; }
                        if (lastId is not null && id != long.Parse(lastId) + 1) Interlocked.Increment(ref _gaps);
                        lastId = item.EventId;
                        Interlocked.Increment(ref _ticks);
                        if (!_measuring) continue;
                        Interlocked.Increment(ref _measuredTicks);
                        var ms = (DateTimeOffset.UtcNow - item.Data.At).TotalMilliseconds;
                        latencies.Add(ms);
                        if (item.Data.HasStock) stockLatencies.Add(ms);
                    }
                }
                finally { Interlocked.Decrement(ref _connected); }
                if (!stop.IsCancellationRequested) Interlocked.Increment(ref _dropped); // ended by the server: resume
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                Interlocked.Increment(ref _failed);
                var kind = e is HttpRequestException { StatusCode: { } status } ? $"HTTP {(int)status}" : $"{e.GetType().Name}: {e.Message}";
                if (_failures.Count < 20) _failures.AddOrUpdate(kind[..Math.Min(kind.Length, 160)], 1, (_, n) => n + 1);
                await Task.Delay(500, stop).ContinueWith(_ => { });
            }
        }
    }

    /// <summary>What the generator reads of a delta event: the tick's server time and whether it carries a stock delta.</summary>
    public readonly record struct TickFacts(DateTimeOffset At, bool HasStock);

    /// <summary>Reads a delta's top-level <c>at</c> and its deltas' <c>type</c> values; other events are not read.</summary>
    public static TickFacts ParseEvent(string eventType, ReadOnlySpan<byte> data)
    {
        if (eventType != "delta") return default;
        var reader = new Utf8JsonReader(data);
        DateTimeOffset at = default;
        var stock = false;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName) continue;
            if (reader.CurrentDepth == 1 && reader.ValueTextEquals("at"u8)) { reader.Read(); at = reader.GetDateTimeOffset(); }
            // Each delta is an object in the top-level "deltas" array: its own "type" is at depth 3.
            else if (reader.CurrentDepth == 3 && reader.ValueTextEquals("type"u8)) { reader.Read(); stock |= reader.ValueTextEquals("stock"u8); }
            else if (reader.CurrentDepth >= 3) reader.Skip();
        }
        if (at == default) throw new FormatException("A delta event without its 'at' time.");
        return new TickFacts(at, stock);
    }

    /// <summary>Passes when viewers received ticks and no stream skipped an event id.</summary>
    public Invariants.Check Check() =>
        new("viewers: every stream's event ids consecutive", Interlocked.Read(ref _gaps) == 0 && Interlocked.Read(ref _ticks) > 0,
            $"ticks delivered {Interlocked.Read(ref _ticks)}, event-id gaps {Interlocked.Read(ref _gaps)}, connection failures {Interlocked.Read(ref _failed)}");

    /// <summary>
    /// Waits until every subscriber holds its stream, lets the front doors settle, and checks the growth of their
    /// resident memory over <paramref name="beforeKb"/> per connection against the issue's 64 KB.
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
               $"ticks delivered {_ticks}, {_measuredTicks} after the warm-up ({_measuredTicks / measured.TotalSeconds:F0}/s); delivery latency after the warm-up (server tick time to receipt) " +
               $"{Latency(sorted)}; ticks with a stock delta {stock.Length}: {Latency(stock)}; " +
               $"event-id gaps {_gaps}; snapshots {_snapshots}; streams ended by the server (slow or dropped) {_dropped}; connection failures {_failed}" +
               (_failures.IsEmpty ? "" : $" ({string.Join("; ", _failures.OrderByDescending(f => f.Value).Select(f => $"{f.Key} x{f.Value}"))})");
    }
}
