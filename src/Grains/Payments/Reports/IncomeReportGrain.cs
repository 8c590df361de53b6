using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Payments.Splits;
using LiveCommerce.Grains.Payments.Store;
using Orleans.Concurrency;

namespace LiveCommerce.Grains.Payments.Reports;

/// <summary>
/// Reads the regulatory export from the ledger in bounded pages: the merchant's orders (those whose seller share
/// credited its account) by id, each order's lines of the period, then the merchant's payouts. The totals are the
/// same walk summed by <see cref="IncomeTally"/>, so nothing grows with the merchant's size but the time it takes.
/// </summary>
[StatelessWorker]
public sealed class IncomeReportGrain(
    ISettlementStore store,
    BusinessCalendar calendar,
    SplitPolicy splitPolicy,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IIncomeReportGrain
{
    /// <summary>Orders read per round trip; rounds per page are bounded too, so a page of old, quiet orders still returns (with its cursor).</summary>
    private const int OrdersPerRound = 500;
    private const int MaxRoundsPerPage = 40;
    private const int ReportPageSize = ReportPeriod.MaxPageSize;

    public async Task<IncomeReport> Report(string merchantId, DateOnly from, DateOnly to)
    {
        var identity = await CheckAsync(merchantId, from, to);
        var (start, end) = Period(from, to);
        var tally = new IncomeTally(merchantId, splitPolicy.PlatformAccountId);
        PaymentRecordCursor? cursor = null;
        do
        {
            var page = await PageAsync(merchantId, start, end, cursor, ReportPageSize, tally);
            foreach (var record in page.Items) tally.Add(record);
            cursor = page.Next;
        } while (cursor is not null);
        return new IncomeReport(merchantId, identity, from, to, calendar.Zone.Id, start, end, tally.Totals(), clock.GetUtcNow());
    }

    public async Task<PaymentRecordPage> Records(string merchantId, DateOnly from, DateOnly to, PaymentRecordCursor? cursor, int limit)
    {
        if (limit is < 1 or > ReportPeriod.MaxPageSize) throw DomainException.Invalid("limit", $"limit must be 1..{ReportPeriod.MaxPageSize}.");
        await CheckAsync(merchantId, from, to);
        var (start, end) = Period(from, to);
        return await PageAsync(merchantId, start, end, cursor, limit, new IncomeTally(merchantId, splitPolicy.PlatformAccountId));
    }

    /// <summary>Valid input, and a merchant the platform knows: one with a settlement account or an identity record.</summary>
    private async Task<MerchantIdentityView?> CheckAsync(string merchantId, DateOnly from, DateOnly to)
    {
        Ids.Require(merchantId, "merchantId");
        ReportPeriod.Validate(from, to);
        if (merchantId == splitPolicy.PlatformAccountId) throw DomainException.NotFound("merchant", merchantId);
        var identity = await GrainFactory.Ref<IMerchantIdentityGrain>(merchantId).Get();
        if (identity is null && !await store.AccountExistsAsync(merchantId)) throw DomainException.NotFound("merchant", merchantId);
        return identity;
    }

    private (DateTimeOffset Start, DateTimeOffset End) Period(DateOnly from, DateOnly to) => (calendar.StartOf(from), calendar.StartOf(to.AddDays(1)));

    private async Task<PaymentRecordPage> PageAsync(string merchantId, DateTimeOffset start, DateTimeOffset end, PaymentRecordCursor? cursor, int limit,
        IncomeTally classify)
    {
        var items = new List<PaymentRecord>(Math.Min(limit, 256));
        var position = cursor ?? new PaymentRecordCursor(false, null, null, null);
        for (var round = 0; round < MaxRoundsPerPage && items.Count < limit; round++)
        {
            var want = limit - items.Count;
            if (!position.Payouts)
            {
                // Inside an order (a line position): read on from that order, itself included; else after it.
                var inside = position.AfterEntryId is not null;
                var orders = await store.GetCreditedOrdersAsync(merchantId, end, position.AfterOrderId, fromInclusive: inside, OrdersPerRound);
                var lines = orders.Count == 0 ? [] : await store.GetOrderLinesAsync(orders, start, end, IncomeTally.MoneyKinds,
                    inside ? new LinePosition(position.AfterOrderId, position.AfterAt!.Value, position.AfterEntryId!) : null, want);
                Add(items, lines, classify);
                if (lines.Count == want) position = new PaymentRecordCursor(false, lines[^1].OrderId, lines[^1].At, lines[^1].EntryId);
                else if (orders.Count == OrdersPerRound) position = new PaymentRecordCursor(false, orders[^1], null, null);
                else position = new PaymentRecordCursor(true, null, null, null);
            }
            else
            {
                var after = position.AfterEntryId is not null ? new LinePosition(null, position.AfterAt!.Value, position.AfterEntryId) : null;
                var lines = await store.GetAccountLinesAsync(merchantId, "payout", start, end, after, want);
                Add(items, lines, classify);
                if (lines.Count < want) return new PaymentRecordPage(items, null);
                position = new PaymentRecordCursor(true, null, lines[^1].At, lines[^1].EntryId);
            }
        }
        return new PaymentRecordPage(items, position);
    }

    private void Add(List<PaymentRecord> items, IReadOnlyList<LedgerLineView> lines, IncomeTally classify)
    {
        foreach (var line in lines)
            if (classify.Record(line, calendar.DateOf(line.At)) is { } record) items.Add(record);
    }
}

[GenerateSerializer]
public sealed class MerchantIdentityState
{
    [Id(0)] public string? LegalName { get; set; }
    [Id(1)] public string? CreditCode { get; set; }
    [Id(2)] public string? RegisteredAddress { get; set; }
    [Id(3)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(4)] public string? UpdatedBy { get; set; }
}

/// <summary>A merchant's legal identity for the regulatory export: one small record, written before it is acknowledged.</summary>
public sealed class MerchantIdentityGrain(
    [PersistentState("merchantIdentity", StorageNames.Accounts)] IPersistentState<MerchantIdentityState> state,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IMerchantIdentityGrain
{
    private string MerchantId => this.GetPrimaryKeyString();

    public Task<MerchantIdentityView?> Get() => Task.FromResult(View());

    public async Task<MerchantIdentityView> Set(MerchantIdentity identity, string actorId)
    {
        Ids.Require(MerchantId, "merchantId");
        var valid = MerchantIdentityRules.Validate(identity);
        var s = state.State;
        if (s.LegalName == valid.LegalName && s.CreditCode == valid.UnifiedSocialCreditCode && s.RegisteredAddress == valid.RegisteredAddress)
            return View()!;
        var before = (s.LegalName, s.CreditCode, s.RegisteredAddress, s.UpdatedAt, s.UpdatedBy);
        (s.LegalName, s.CreditCode, s.RegisteredAddress, s.UpdatedAt, s.UpdatedBy) =
            (valid.LegalName, valid.UnifiedSocialCreditCode, valid.RegisteredAddress, clock.GetUtcNow(), actorId);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored: the activation keeps what storage holds, so a retry with the same values writes again.
            (s.LegalName, s.CreditCode, s.RegisteredAddress, s.UpdatedAt, s.UpdatedBy) = before;
            throw;
        }
        return View()!;
    }

    private MerchantIdentityView? View()
    {
        var s = state.State;
        return s.LegalName is null || s.CreditCode is null
            ? null
            : new MerchantIdentityView(MerchantId, s.LegalName, s.CreditCode, s.RegisteredAddress, MerchantId, s.UpdatedAt, s.UpdatedBy ?? "");
    }
}
