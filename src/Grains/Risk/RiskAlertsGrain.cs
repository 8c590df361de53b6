using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Risk;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Orleans.Concurrency;
using Orleans.Serialization;

namespace LiveCommerce.Grains.Risk;

[GenerateSerializer]
public sealed class RiskAlertsState
{
    [Id(0)] public List<RiskAlert> Recent { get; set; } = [];
    [Id(1)] public Dictionary<string, long> CountsByRule { get; set; } = [];
}

/// <summary>
/// Recent risk events for operators: a bounded ring of alerts (persisted by a flush timer) and counts per rule. Each
/// alert is also published on the <c>risk-events</c> stream for other consumers.
/// </summary>
[Reentrant]
public sealed class RiskAlertsGrain(
    [PersistentState("riskAlerts", StorageNames.Risk)] IPersistentState<RiskAlertsState> persisted,
    DeepCopier copier,
    ILogger<RiskAlertsGrain> logger) : Grain, IRiskAlertsGrain
{
    public const int Kept = 2000;
    private bool _dirty;
    // Another activation wrote the alerts since this one loaded them: no later write of this one can succeed.
    private bool _superseded;
    private RiskAlertsState _live = null!;
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _live = persisted.State;
        foreach (var a in _live.Recent) _ids.Add(a.AlertId);
        this.RegisterGrainTimer(_ => FlushAsync(), new GrainTimerCreationOptions(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)) { Interleave = true });
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _superseded ? Task.CompletedTask : FlushAsync();

    public async Task Record(RiskAlert alert)
    {
        var s = _live;
        if (!_ids.Add(alert.AlertId)) return;
        s.Recent.Add(alert);
        if (s.Recent.Count > Kept)
        {
            foreach (var old in s.Recent.Take(s.Recent.Count - Kept)) _ids.Remove(old.AlertId);
            s.Recent.RemoveRange(0, s.Recent.Count - Kept);
        }
        foreach (var hit in alert.Hits) s.CountsByRule[hit.RuleId] = s.CountsByRule.GetValueOrDefault(hit.RuleId) + 1;
        _dirty = true;
        await this.PublishAsync(logger, new RiskEventPublished(alert), (RiskStreams.Namespace, RiskStreams.Key));
    }

    public Task<IReadOnlyList<RiskAlert>> Recent(string? ruleId, string? merchantId, int limit)
    {
        IReadOnlyList<RiskAlert> result = _live.Recent
            .Where(a => ruleId is null || a.Hits.Any(h => h.RuleId == ruleId) || a.Kind == ruleId)
            .Where(a => merchantId is null || a.MerchantId == merchantId)
            .Reverse().Take(limit).ToList();
        return Task.FromResult(result);
    }

    public Task<IReadOnlyDictionary<string, long>> CountsByRule() =>
        Task.FromResult<IReadOnlyDictionary<string, long>>(new Dictionary<string, long>(_live.CountsByRule));

    private async Task FlushAsync()
    {
        if (!_dirty) return;
        _dirty = false;
        try
        {
            await persisted.WriteSnapshotAsync(_live, copier);
        }
        catch (Orleans.Storage.InconsistentStateException e)
        {
            // Leaves so the next activation loads the other's alerts; what this one added since its last write is lost.
            _superseded = true;
            logger.LogWarning(e, "Risk alerts were written by another activation; deactivating to load them");
            DeactivateOnIdle();
        }
        catch (Exception e)
        {
            _dirty = true;
            logger.LogWarning(e, "Could not persist risk alerts");
        }
    }
}

/// <summary>Where risk events are published.</summary>
public static class RiskStreams
{
    public const string Namespace = "risk-events";
    public const string Key = "all";
}

[GenerateSerializer]
public sealed class ReviewQueueState
{
    [Id(0)] public Dictionary<string, ReviewItem> Pending { get; set; } = [];
    [Id(1)] public List<ReviewItem> Decided { get; set; } = [];
}

/// <summary>
/// Orders whose money is on hold until an admin releases or rejects it. Reentrant with coalesced writes: a burst of
/// held orders (a tripped rule during a flash sale) is written in a few batches, not one write per order.
/// </summary>
[Reentrant]
public sealed class RiskReviewQueueGrain(
    [PersistentState("riskReviewQueue", StorageNames.Risk)] IPersistentState<ReviewQueueState> persisted,
    DeepCopier copier) : Grain, IRiskReviewQueueGrain
{
    public const int DecidedKept = 2000;
    private ReviewQueueState _live = null!;
    private CoalescingWriter _writer = null!;
    private readonly HashSet<(string, DateTimeOffset)> _decided = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _live = persisted.State;
        _writer = new CoalescingWriter(() => persisted.WriteSnapshotAsync(_live, copier), _ => DeactivateOnIdle());
        foreach (var d in _live.Decided) _decided.Add((d.OrderId, d.HeldAt));
        return Task.CompletedTask;
    }

    public async Task Add(ReviewItem item)
    {
        if (_live.Pending.ContainsKey(item.OrderId) || _decided.Contains((item.OrderId, item.HeldAt))) return;
        _live.Pending[item.OrderId] = item;
        await _writer.WriteAsync();
    }

    public async Task MarkDecided(string orderId, ReviewDecision decision, string decidedBy, DateTimeOffset at)
    {
        if (!_live.Pending.Remove(orderId, out var item)) return;
        _live.Decided.Add(item with { Decision = decision, DecidedBy = decidedBy, DecidedAt = at });
        _decided.Add((item.OrderId, item.HeldAt));
        if (_live.Decided.Count > DecidedKept)
        {
            _decided.Remove((_live.Decided[0].OrderId, _live.Decided[0].HeldAt));
            _live.Decided.RemoveAt(0);
        }
        await _writer.WriteAsync();
    }

    public Task<ReviewPage> Pending(int offset, int limit)
    {
        var all = _live.Pending.Values.OrderBy(i => i.HeldAt).ThenBy(i => i.OrderId, StringComparer.Ordinal).ToList();
        return Task.FromResult(new ReviewPage(all.Skip(offset).Take(limit).ToList(), all.Count));
    }

    public Task<ReviewPage> Decided(int offset, int limit)
    {
        var all = _live.Decided.AsEnumerable().Reverse().ToList();
        return Task.FromResult(new ReviewPage(all.Skip(offset).Take(limit).ToList(), all.Count));
    }
}
