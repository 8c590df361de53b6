using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace LiveCommerce.LoadTest;

/// <summary>Latency histograms per operation, outcomes and errors by kind, and a per-second time series.</summary>
public sealed class Metrics
{
    private readonly ConcurrentDictionary<string, OperationStats> _ops = new();
    private readonly ConcurrentDictionary<long, SecondStats> _seconds = new();
    private long _measureFrom = long.MaxValue;

    public long StartTimestamp { get; } = Stopwatch.GetTimestamp();
    public bool Measuring => Stopwatch.GetTimestamp() >= Volatile.Read(ref _measureFrom);
    public IReadOnlyDictionary<string, OperationStats> Operations => _ops;
    public IEnumerable<KeyValuePair<long, SecondStats>> Seconds => _seconds.OrderBy(s => s.Key);
    public double MeasuredSeconds { get; set; }

    public void StartMeasuring() => Volatile.Write(ref _measureFrom, Stopwatch.GetTimestamp());

    public long SecondOf(long timestamp) => (long)Stopwatch.GetElapsedTime(StartTimestamp, timestamp).TotalSeconds;

    public static double Elapsed(Metrics metrics) => Stopwatch.GetElapsedTime(metrics.StartTimestamp).TotalSeconds;

    /// <summary>Records an operation that began (or was scheduled to begin) at <paramref name="start"/>.</summary>
    public void Record(string op, long start, string? error, string? outcome = null)
    {
        var end = Stopwatch.GetTimestamp();
        var micros = (long)Stopwatch.GetElapsedTime(start, end).TotalMicroseconds;
        var second = _seconds.GetOrAdd(SecondOf(end), _ => new SecondStats());
        second.Add(op, micros, error is not null);
        if (!Measuring) return;
        var stats = _ops.GetOrAdd(op, _ => new OperationStats());
        stats.Add(micros, error, outcome);
    }
}

public sealed class OperationStats
{
    private readonly LongHistogram _latency = new(120_000_000, 3); // microseconds, up to 120 s
    private readonly Dictionary<string, long> _errors = [];
    private readonly Dictionary<string, long> _outcomes = [];

    public long Ok { get; private set; }
    public long Failed { get; private set; }

    public void Add(long micros, string? error, string? outcome)
    {
        lock (this)
        {
            if (error is null)
            {
                Ok++;
                _latency.RecordValue(Math.Max(0, Math.Min(micros, _latency.HighestTrackableValue)));
                if (outcome is not null) _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
            }
            else
            {
                Failed++;
                _errors[error] = _errors.GetValueOrDefault(error) + 1;
            }
        }
    }

    public double PercentileMs(double p)
    {
        lock (this) return _latency.TotalCount == 0 ? 0 : _latency.GetValueAtPercentile(p) / 1000.0;
    }

    public double MaxMs
    {
        get { lock (this) return _latency.TotalCount == 0 ? 0 : _latency.GetMaxValue() / 1000.0; }
    }

    public IReadOnlyDictionary<string, long> Errors { get { lock (this) return new Dictionary<string, long>(_errors); } }
    public IReadOnlyDictionary<string, long> Outcomes { get { lock (this) return new Dictionary<string, long>(_outcomes); } }
}

public sealed class SecondStats
{
    private readonly Dictionary<string, long> _completed = [];
    private readonly LongHistogram _placeLatency = new(120_000_000, 2);
    public long Errors { get; private set; }

    /// <summary>Failed HTTP requests (Errors less paid flows whose callback was not seen in time: those are no request).</summary>
    public long RequestErrors { get; private set; }

    public void Add(string op, long micros, bool failed)
    {
        lock (this)
        {
            if (failed)
            {
                Errors++;
                if (op != "paid-flow") RequestErrors++;
                return;
            }
            _completed[op] = _completed.GetValueOrDefault(op) + 1;
            if (op is "place" or "reserve") _placeLatency.RecordValue(Math.Min(micros, _placeLatency.HighestTrackableValue));
        }
    }

    public long Completed(string op) { lock (this) return _completed.GetValueOrDefault(op); }
    public double PlaceP99Ms { get { lock (this) return _placeLatency.TotalCount == 0 ? 0 : _placeLatency.GetValueAtPercentile(99) / 1000.0; } }
}
