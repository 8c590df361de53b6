using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Platform.Webhooks;

namespace LiveCommerce.Grains.Payments.Accounts;

/// <summary>
/// A settlement batch as the account's apps see it: how many orders, what the account's shares were, what refunds took
/// from them before settlement, and what settled (amounts in fen; no buyer data). Platform fees are not in these sums:
/// they were split off each order at payment, so a share is already net of them.
/// </summary>
public sealed record SettlementBatchPaidWebhook(string BatchId, string AccountId, DateOnly BusinessDate, int CycleDays, int Orders,
    long Gross, long RefundedBeforeSettlement, long Net, string Currency, string Unit, DateTimeOffset PaidAt) : WebhookPayload
{
    public override string Type => WebhookEventTypes.SettlementBatchPaid;
}

/// <summary>A payout left the account's available balance; <see cref="Receipt"/> is the ledger entry that records it.</summary>
public sealed record PayoutPaidWebhook(string PayoutId, string AccountId, long Amount, string Currency, string Unit, string Receipt,
    long AvailableAfter, DateTimeOffset PaidAt) : WebhookPayload
{
    public override string Type => WebhookEventTypes.PayoutPaid;
}

/// <summary>
/// The webhook events of a settlement account, written in the same transaction as the change (see
/// <see cref="Store.AccountSave.Events"/>). Per-resource sequences: a batch's is the account's batch number; a payout's
/// is the account's paid-out total after it, which every payout raises (amounts are positive), so it orders them too.
/// </summary>
public static class SettlementWebhooks
{
    public const string Currency = "CNY";
    public const string Unit = "fen";

    public static string BatchResource(string accountId) => "settlements:" + accountId;

    public static string PayoutResource(string accountId) => "payouts:" + accountId;

    public static WebhookEvent BatchPaid(SettlementBatch batch, int cycleDays, int batchNumber)
    {
        long gross = 0, refunded = 0;
        foreach (var line in batch.Lines)
        {
            gross = checked(gross + line.Share);
            refunded = checked(refunded + line.RefundedBeforeSettlement);
        }
        return new SettlementBatchPaidWebhook(batch.BatchId, batch.AccountId, batch.BusinessDate, cycleDays, batch.Lines.Count, gross, refunded,
                batch.Total, Currency, Unit, batch.CreatedAt)
            .ToEvent(batch.AccountId, BatchResource(batch.AccountId), batchNumber, batch.CreatedAt);
    }

    public static WebhookEvent PayoutPaid(string accountId, string payoutId, long amount, AccountState after, DateTimeOffset at) =>
        new PayoutPaidWebhook(payoutId, accountId, amount, Currency, Unit, AccountBook.PayoutEntryId(accountId, payoutId), after.Available, at)
            .ToEvent(accountId, PayoutResource(accountId), after.PaidOut, at);
}
