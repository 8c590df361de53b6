using LiveCommerce.Contracts.Risk;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Orleans.Concurrency;

namespace LiveCommerce.Grains.Risk;

[GenerateSerializer]
public sealed class RiskRulesState
{
    [Id(0)] public long Version { get; set; }
    [Id(1)] public List<RiskRule> Rules { get; set; } = [];
    [Id(2)] public List<RiskRuleChange> Changes { get; set; } = [];
}

/// <summary>
/// The rule set. Every order reads it (one in-memory answer, <see cref="AlwaysInterleaveAttribute"/>), so a change takes
/// effect on the next order; changes are persisted with their audit entry before they are acknowledged.
/// </summary>
[Reentrant]
public sealed class RiskRulesGrain(
    [PersistentState("riskRules", StorageNames.Risk)] IPersistentState<RiskRulesState> persisted,
    IConfiguration configuration,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<RiskRulesGrain> logger) : Grain, IRiskRulesGrain
{
    public const int ChangesKept = 1000;
    private RiskRuleSet _current = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var s = persisted.State;
        var configured = RiskRuleCatalog.FromConfiguration(configuration);
        if (s.Version == 0)
        {
            s.Rules = configured.ToList();
            s.Version = 1;
            await persisted.WriteStateAsync(cancellationToken);
        }
        else
        {
            // Rules added to the catalog after the state was written join with their configured defaults.
            foreach (var rule in configured.Where(c => s.Rules.All(r => r.RuleId != c.RuleId))) s.Rules.Add(rule);
        }
        _current = new RiskRuleSet(s.Version, s.Rules.ToList());
    }

    public Task<RiskRuleSet> GetRules() => Task.FromResult(_current);

    private bool _updating;

    public async Task<RiskRuleSet> UpdateRule(string ruleId, RiskRuleUpdate update, string changedBy)
    {
        var s = persisted.State;
        var index = s.Rules.FindIndex(r => r.RuleId == ruleId);
        if (index < 0) throw DomainException.NotFound("risk rule", ruleId);
        if (_updating) throw DomainException.Conflict("risk.rules_busy", "Another rule change is being saved; retry.");
        var old = s.Rules[index];
        var updated = RiskRuleCatalog.Apply(old, update);
        if (updated.Enabled == old.Enabled && updated.Action == old.Action && updated.Severity == old.Severity
            && updated.Thresholds.OrderBy(t => t.Key).SequenceEqual(old.Thresholds.OrderBy(t => t.Key)))
            return _current;

        _updating = true;
        try
        {
            s.Rules[index] = updated;
            s.Version++;
            s.Changes.Add(new RiskRuleChange(s.Version, ruleId, changedBy, clock.GetUtcNow(), old, updated));
            if (s.Changes.Count > ChangesKept) s.Changes.RemoveRange(0, s.Changes.Count - ChangesKept);
            await persisted.WriteStateAsync();
            _current = new RiskRuleSet(s.Version, s.Rules.ToList());
            logger.LogInformation("Risk rule {RuleId} changed by {Actor} (version {Version})", ruleId, changedBy, s.Version);
            return _current;
        }
        catch
        {
            s.Rules[index] = old;
            s.Version = _current.Version;
            s.Changes.RemoveAll(c => c.Version > _current.Version);
            throw;
        }
        finally
        {
            _updating = false;
        }
    }

    public Task<IReadOnlyList<RiskRuleChange>> GetChanges(string? ruleId, int limit)
    {
        IReadOnlyList<RiskRuleChange> changes = persisted.State.Changes
            .Where(c => ruleId is null || c.RuleId == ruleId)
            .Reverse().Take(limit).ToList();
        return Task.FromResult(changes);
    }
}
