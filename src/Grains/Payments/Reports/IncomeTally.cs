using LiveCommerce.Contracts.Payments;

namespace LiveCommerce.Grains.Payments.Reports;

/// <summary>
/// Sums a merchant's ledger lines into the regulatory report, as plain code. A merchant's order is one whose seller
/// share credited the merchant's account; each of its lines is a party's share: the seller's (the merchant's account),
/// the platform's (its fee) or a commission (streamer, distributors). Payments are the credit lines, refunds the
/// refund lines before settlement and the clawbacks after it. Every sum is checked: a total that would overflow
/// throws instead of reporting a wrong figure.
/// </summary>
public sealed class IncomeTally(string merchantId, string platformAccountId)
{
    /// <summary>Ledger kinds the export reads; the rest (confirm, release_hold, cycle changes, anomalies) move no money between parties.</summary>
    public static readonly IReadOnlyList<string> MoneyKinds = ["credit_pending", "credit_on_hold", "refund", "clawback", "settle", "payout"];

    private long _gross, _refunds, _platform, _commissions, _seller, _settled, _paidOut;
    private int _orders, _payments, _refundEvents;
    private string? _lastOrder;
    private (string Order, DateTimeOffset At)? _lastRefund;

    /// <summary>What a ledger line is in the export, or null for a kind the export does not read.</summary>
    public static RecordKind? KindOf(string ledgerKind) => ledgerKind switch
    {
        "credit_pending" or "credit_on_hold" => RecordKind.Payment,
        "refund" or "clawback" => RecordKind.Refund,
        "settle" => RecordKind.Settlement,
        "payout" => RecordKind.Payout,
        _ => null,
    };

    public RecordParty PartyOf(string accountId) =>
        accountId == merchantId ? RecordParty.Seller : accountId == platformAccountId ? RecordParty.Platform : RecordParty.Commission;

    /// <summary>The export's record of a ledger line (null for a kind it does not read).</summary>
    public PaymentRecord? Record(LedgerLineView line, DateOnly businessDate) =>
        KindOf(line.Kind) is { } kind
            ? new PaymentRecord(line.EntryId, line.OrderId, line.AccountId, PartyOf(line.AccountId), kind, line.Kind, line.Amount, line.At, businessDate, line.BatchId)
            : null;

    /// <summary>
    /// Adds one record. Records come grouped by order (the walk's order: order by order, each by time), which is what
    /// lets orders and refunds be counted without remembering every order id.
    /// </summary>
    public void Add(PaymentRecord record)
    {
        if (record.OrderId is { } order && order != _lastOrder)
        {
            _orders = checked(_orders + 1);
            _lastOrder = order;
        }
        switch (record.Kind)
        {
            case RecordKind.Payment:
                if (record.Amount < 0) throw new ArgumentOutOfRangeException(nameof(record), "a payment line is never negative");
                _gross = checked(_gross + record.Amount);
                AddToParty(record.Party, record.Amount);
                // One credit per order at the seller's account: the order's payment.
                if (record.Party == RecordParty.Seller) _payments = checked(_payments + 1);
                break;
            case RecordKind.Refund:
                if (record.Amount > 0) throw new ArgumentOutOfRangeException(nameof(record), "a refund line is never positive");
                _refunds = checked(_refunds - record.Amount);
                AddToParty(record.Party, record.Amount);
                // The parties' lines of one refund share its time: one refund per order and instant.
                var key = (record.OrderId ?? "", record.At);
                if (_lastRefund != key)
                {
                    _refundEvents = checked(_refundEvents + 1);
                    _lastRefund = key;
                }
                break;
            case RecordKind.Settlement:
                if (record.Party == RecordParty.Seller) _settled = checked(_settled + record.Amount);
                break;
            case RecordKind.Payout:
                if (record.Party == RecordParty.Seller) _paidOut = checked(_paidOut - record.Amount);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(record), record.Kind, "unknown record kind");
        }
    }

    private void AddToParty(RecordParty party, long amount)
    {
        switch (party)
        {
            case RecordParty.Seller: _seller = checked(_seller + amount); break;
            case RecordParty.Platform: _platform = checked(_platform + amount); break;
            default: _commissions = checked(_commissions + amount); break;
        }
    }

    public IncomeTotals Totals() =>
        new(_gross, _refunds, checked(_gross - _refunds), _platform, _commissions, _seller, _settled, _paidOut, _orders, _payments, _refundEvents);
}
