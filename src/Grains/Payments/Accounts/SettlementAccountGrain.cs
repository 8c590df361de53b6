using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Payments.Store;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Serialization;

namespace LiveCommerce.Grains.Payments.Accounts;

/// <summary>
/// A party's settlement account. Reentrant with coalesced flushes, because the platform account (and a hot
/// merchant's) takes a posting for every paid order: each flush saves the balances, the open shares that changed
/// and the new ledger lines in one transaction (<see cref="ISettlementStore"/>). A posting is acknowledged only
/// after the flush that contains it.
/// </summary>
[Reentrant]
public sealed class SettlementAccountGrain(
    ISettlementStore ledger,
    BusinessCalendar calendar,
    IOptions<SettlementOptions> settlementOptions,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    Platform.Webhooks.WebhookEventLog webhookLog,
    ILogger<SettlementAccountGrain> logger) : Grain, ISettlementAccountGrain, IRemindable
{
    private const string DailyRun = "daily-settlement";
    private const int RecentPostingsKept = 20_000;

    private readonly SettlementOptions _options = settlementOptions.Value;
    private AccountState _state = null!;
    private AccountBook _book = null!;
    private CoalescingWriter _writer = null!;
    private List<LedgerLine> _unflushedLines = [];
    private List<SettlementBatch> _unflushedBatches = [];
    // Webhook events of the unflushed batches and payouts: saved in the same transaction as them.
    private List<Contracts.Platform.WebhookEvent> _unflushedEvents = [];
    // Postings applied by this activation, so a concurrent retry is recognised before its ledger line is flushed.
    private readonly HashSet<string> _recentPostings = [];
    private readonly Queue<string> _recentOrder = new();
    private bool _dailyRunRegistered;

    private string AccountId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _state = await ledger.LoadAccountAsync(AccountId, cancellationToken) ?? new AccountState { CycleDays = _options.DefaultCycleDays };
        _book = new AccountBook(AccountId, _state, calendar);
        _writer = new CoalescingWriter(FlushAsync, OnFlushFailed);
        _dailyRunRegistered = _state.Open.Count > 0 && await this.GetReminder(DailyRun) is not null;
    }

    public async Task Apply(AccountPosting posting)
    {
        if (_recentPostings.Contains(posting.PostingId)) { await _writer.WriteAsync(); return; }

        var lines = new List<LedgerLine>();
        var effect = _book.Apply(posting, knownToLedger: null, lines);
        if (effect == PostingEffect.NeedsLedgerCheck)
        {
            var known = await ledger.ContainsEntryAsync(posting.PostingId);
            if (_recentPostings.Contains(posting.PostingId)) { await _writer.WriteAsync(); return; }
            effect = _book.Apply(posting, known, lines);
        }
        if (effect == PostingEffect.Duplicate) return;
        if (effect == PostingEffect.Anomaly)
            logger.LogWarning("Account {AccountId}: posting {PostingId} ({Kind}) for order {OrderId} found no open share", AccountId, posting.PostingId, posting.Kind, posting.OrderId);

        Remember(posting.PostingId);
        _unflushedLines.AddRange(lines);
        // T+0 settles as soon as a share is confirmed and released, whichever comes last (a reviewed order's hold can
        // be released after its confirmation: then the release is what makes it due).
        var settleNow = (posting.Kind is PostingKind.Confirm or PostingKind.ReleaseHold) && _state.CycleDays == 0;
        if (settleNow) SettleInMemory(clock.GetUtcNow());
        if (posting.Kind == PostingKind.Confirm) EnsureDailyRun();
        await _writer.WriteAsync();
        // Not awaited: the order that sent this posting is waiting for this call, and it is not reentrant.
        if (settleNow) _ = NotifySettledAsync();
    }

    public Task<AccountBalance> GetBalance()
    {
        if (!_state.Exists) throw DomainException.NotFound("account", AccountId);
        return Task.FromResult(_book.Balance());
    }

    public async Task<CycleChange> ChangeCycle(int cycleDays, string actorId, bool selfService)
    {
        if (CyclePolicy.Problem(cycleDays, selfService, _options) is { } problem) throw DomainException.Invalid("cycleDays", problem);
        var previous = _state.CycleDays;
        await SetCycle(cycleDays, actorId);
        var kept = CyclePolicy.ConfirmedUnsettled(_state.Open.Values);
        return new CycleChange(AccountId, previous, cycleDays, [], kept.Take(CyclePolicy.MaxListed).ToList(), kept.Count);
    }

    public async Task<AccountBalance> SetCycle(int cycleDays, string actorId)
    {
        if (CyclePolicy.Problem(cycleDays, selfService: false, _options) is { } problem) throw DomainException.Invalid("cycleDays", problem);
        _state.Exists = true;
        if (_state.CycleDays == cycleDays) return _book.Balance();
        logger.LogInformation("Account {AccountId}: cycle T+{Old} → T+{New} by {Actor}", AccountId, _state.CycleDays, cycleDays, actorId);
        _unflushedLines.Add(new LedgerLine($"cycle:{AccountId}:{Guid.NewGuid():N}", AccountId, null, $"cycle:T+{_state.CycleDays}->T+{cycleDays}:{actorId}", 0, clock.GetUtcNow(), null));
        _state.CycleDays = cycleDays;
        await _writer.WriteAsync();
        return _book.Balance();
    }

    public async Task<SettlementRunResult> RunSettlement()
    {
        if (!_state.Exists) throw DomainException.NotFound("account", AccountId);
        var batch = SettleInMemory(clock.GetUtcNow());
        await _writer.WriteAsync();
        if (batch is null) return new SettlementRunResult(null, 0, 0);
        await NotifySettledAsync();
        return new SettlementRunResult(batch.BatchId, batch.Lines.Count, batch.Total);
    }

    public async Task<PayoutReceipt> Payout(string payoutId, long amount, string actorId)
    {
        Ids.Require(payoutId, "payoutId");
        if (!_state.Exists) throw DomainException.NotFound("account", AccountId);
        var now = clock.GetUtcNow();
        var receipt = _book.Payout(payoutId, amount, now, _unflushedLines);
        if (!receipt.Replayed) _unflushedEvents.Add(SettlementWebhooks.PayoutPaid(AccountId, payoutId, amount, _state, now));
        // A replay too: the original may still be in a flush under way (the grain is reentrant), and its receipt
        // must not be answered before the payout is stored.
        await _writer.WriteAsync();
        return receipt;
    }

    public async Task<IReadOnlyList<SettlementBatchView>> GetBatches(DateOnly from, DateOnly to)
    {
        if (!_state.Exists) throw DomainException.NotFound("account", AccountId);
        return await ledger.GetBatchesAsync(AccountId, from, to);
    }

    public async Task<SettlementBatchView?> GetBatch(string batchId)
    {
        if (!_state.Exists) throw DomainException.NotFound("account", AccountId);
        return await ledger.GetBatchAsync(AccountId, batchId);
    }

    public async Task<IReadOnlyList<LedgerLineView>> GetStatement(DateOnly from, DateOnly to)
    {
        if (!_state.Exists) throw DomainException.NotFound("account", AccountId);
        return await ledger.GetLinesAsync(AccountId, calendar.StartOf(from), calendar.StartOf(to.AddDays(1)));
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != DailyRun) return;
        await RunSettlement();
        if (_state.Open.Count == 0)
        {
            var reminder = await this.GetReminder(DailyRun);
            if (reminder is not null) await this.UnregisterReminder(reminder);
            _dailyRunRegistered = false;
        }
    }

    // Settled shares whose orders still need to hear about it (sent after the flush that made them durable).
    private readonly List<(string OrderId, string BatchId, DateTimeOffset At)> _toNotify = [];

    private SettlementBatch? SettleInMemory(DateTimeOffset cutoff)
    {
        var batch = _book.Settle(cutoff, _unflushedLines);
        if (batch is null) return null;
        _unflushedBatches.Add(batch);
        _unflushedEvents.Add(SettlementWebhooks.BatchPaid(batch, _state.CycleDays, _state.BatchSequence));
        foreach (var line in batch.Lines) _toNotify.Add((line.OrderId, batch.BatchId, batch.CreatedAt));
        return batch;
    }

    private async Task NotifySettledAsync()
    {
        if (_toNotify.Count == 0) return;
        var notes = _toNotify.ToList();
        _toNotify.Clear();
        foreach (var chunk in notes.Chunk(64))
        {
            await Task.WhenAll(chunk.Select(async n =>
            {
                try
                {
                    await GrainFactory.Ref<IOrderGrain>(n.OrderId).MarkShareSettled(AccountId, n.BatchId, n.At);
                }
                catch (Exception e)
                {
                    // The money is settled either way; the order's view of it catches up at its next settlement note.
                    logger.LogWarning(e, "Could not tell order {OrderId} that account {AccountId} settled it", n.OrderId, AccountId);
                }
            }));
        }
    }

    private async Task FlushAsync()
    {
        var lines = _unflushedLines;
        var batches = _unflushedBatches;
        var events = _unflushedEvents;
        _unflushedLines = [];
        _unflushedBatches = [];
        _unflushedEvents = [];
        if (_state.CreatedAt == default) _state.CreatedAt = clock.GetUtcNow();
        var changed = new List<OpenShare>();
        var closed = new List<string>();
        foreach (var orderId in _state.Changed)
        {
            if (_state.Open.TryGetValue(orderId, out var share)) changed.Add(share.Copy());
            else closed.Add(orderId);
        }
        _state.Changed.Clear();
        // Balances, open shares and ledger lines in one transaction: they cannot disagree after a crash.
        await ledger.SaveAsync(new AccountSave(AccountId, _state.CopyBalances(), changed, closed, lines, batches, events));
        _state.Version++;
        if (events.Count > 0) webhookLog.Announce(events);
    }

    private void OnFlushFailed(Exception e)
    {
        logger.LogError(e, "Account {AccountId} failed to persist; deactivating to reload", AccountId);
        DeactivateOnIdle();
    }

    private void Remember(string postingId)
    {
        if (!_recentPostings.Add(postingId)) return;
        _recentOrder.Enqueue(postingId);
        while (_recentOrder.Count > RecentPostingsKept) _recentPostings.Remove(_recentOrder.Dequeue());
    }

    private void EnsureDailyRun()
    {
        if (_dailyRunRegistered) return;
        _dailyRunRegistered = true;
        _ = RegisterDailyRunAsync();
    }

    private async Task RegisterDailyRunAsync()
    {
        try
        {
            var now = clock.GetUtcNow();
            var today = calendar.DateOf(now);
            var next = calendar.At(today, _options.DailyRunAt);
            if (next <= now) next = calendar.At(today.AddDays(1), _options.DailyRunAt);
            await this.RegisterOrUpdateReminder(DailyRun, next - now, TimeSpan.FromDays(1));
        }
        catch (Exception e)
        {
            _dailyRunRegistered = false;
            logger.LogWarning(e, "Could not register the daily settlement run of account {AccountId}", AccountId);
        }
    }
}
