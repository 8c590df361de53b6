using System.Buffers.Text;
using System.Globalization;
using System.Text;
using LiveCommerce.Contracts.Common;

namespace LiveCommerce.Contracts.Payments;

/// <summary>
/// The regulatory export of one merchant's income: a period's totals with the merchant's identity, and the payment
/// records (every payment, refund and split line of its orders, and its payouts) behind them. Computed from the
/// ledger; admin-only. Stateless worker: any silo answers.
/// </summary>
public interface IIncomeReportGrain : IGrainWithIntegerKey
{
    /// <summary>The totals of the business days from..to (inclusive, business time zone). 404 for a merchant the platform does not know.</summary>
    Task<IncomeReport> Report(string merchantId, DateOnly from, DateOnly to);

    /// <summary>One page of the period's payment records, at most <paramref name="limit"/> lines, after <paramref name="cursor"/>.</summary>
    Task<PaymentRecordPage> Records(string merchantId, DateOnly from, DateOnly to, PaymentRecordCursor? cursor, int limit);
}

/// <summary>A merchant's legal identity as the platform reports it (set by admins); the settlement account is the merchant id.</summary>
public interface IMerchantIdentityGrain : IGrainWithStringKey
{
    /// <summary>The identity, or null when none was recorded.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<MerchantIdentityView?> Get();

    /// <summary>Records the identity (validated, trimmed); the same values again change nothing.</summary>
    Task<MerchantIdentityView> Set(MerchantIdentity identity, string actorId);
}

[GenerateSerializer, Immutable]
public sealed record MerchantIdentity(
    [property: Id(0)] string? LegalName,
    [property: Id(1)] string? UnifiedSocialCreditCode,
    [property: Id(2)] string? RegisteredAddress);

[GenerateSerializer, Immutable]
public sealed record MerchantIdentityView(
    [property: Id(0)] string MerchantId,
    [property: Id(1)] string LegalName,
    [property: Id(2)] string UnifiedSocialCreditCode,
    [property: Id(3)] string? RegisteredAddress,
    [property: Id(4)] string SettlementAccountId,
    [property: Id(5)] DateTimeOffset UpdatedAt,
    [property: Id(6)] string UpdatedBy);

/// <summary>
/// A period's income of one merchant, in fen. <see cref="NetSales"/> = <see cref="GrossSales"/> − <see cref="Refunds"/>
/// = <see cref="MerchantIncome"/> + <see cref="PlatformFees"/> + <see cref="Commissions"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record IncomeTotals(
    [property: Id(0)] long GrossSales,
    [property: Id(1)] long Refunds,
    [property: Id(2)] long NetSales,
    [property: Id(3)] long PlatformFees,
    [property: Id(4)] long Commissions,
    [property: Id(5)] long MerchantIncome,
    [property: Id(6)] long Settled,
    [property: Id(7)] long PaidOut,
    [property: Id(8)] int OrderCount,
    [property: Id(9)] int PaymentCount,
    [property: Id(10)] int RefundCount);

[GenerateSerializer, Immutable]
public sealed record IncomeReport(
    [property: Id(0)] string MerchantId,
    [property: Id(1)] MerchantIdentityView? Identity,
    [property: Id(2)] DateOnly From,
    [property: Id(3)] DateOnly To,
    [property: Id(4)] string TimeZone,
    [property: Id(5)] DateTimeOffset PeriodStart,
    [property: Id(6)] DateTimeOffset PeriodEnd,
    [property: Id(7)] IncomeTotals Totals,
    [property: Id(8)] DateTimeOffset GeneratedAt);

/// <summary>Whose share a payment record moves.</summary>
public enum RecordParty { Seller = 0, Platform = 1, Commission = 2 }

/// <summary>What a payment record is.</summary>
public enum RecordKind { Payment = 0, Refund = 1, Settlement = 2, Payout = 3 }

/// <summary>One ledger line of the export: a party's share of a payment (or of a refund), a settlement, a payout.</summary>
[GenerateSerializer, Immutable]
public sealed record PaymentRecord(
    [property: Id(0)] string EntryId,
    [property: Id(1)] string? OrderId,
    [property: Id(2)] string AccountId,
    [property: Id(3)] RecordParty Party,
    [property: Id(4)] RecordKind Kind,
    [property: Id(5)] string LedgerKind,
    [property: Id(6)] long Amount,
    [property: Id(7)] DateTimeOffset At,
    [property: Id(8)] DateOnly BusinessDate,
    [property: Id(9)] string? BatchId);

[GenerateSerializer, Immutable]
public sealed record PaymentRecordPage(
    [property: Id(0)] IReadOnlyList<PaymentRecord> Items,
    [property: Id(1)] PaymentRecordCursor? Next);

/// <summary>
/// Where a records walk stands. The records are walked order by order (the merchant's orders by id, each order's lines
/// by time), then the merchant's payouts by time. <see cref="AfterOrderId"/> alone: every line of that order and those
/// before it is done; with <see cref="AfterAt"/>/<see cref="AfterEntryId"/>: that order's lines up to that one are done.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PaymentRecordCursor(
    [property: Id(0)] bool Payouts,
    [property: Id(1)] string? AfterOrderId,
    [property: Id(2)] DateTimeOffset? AfterAt,
    [property: Id(3)] string? AfterEntryId)
{
    public string Encode()
    {
        var text = string.Join('\n', Payouts ? "p" : "o", AfterOrderId ?? "",
            AfterAt?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "", AfterEntryId ?? "");
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>The cursor a page handed out, or a 400 naming <c>cursor</c>.</summary>
    public static PaymentRecordCursor? Decode(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var bad = DomainException.Invalid("cursor", "cursor is not one this endpoint handed out.");
        if (value.Length > 1_000) throw bad;
        string[] parts;
        try { parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value)).Split('\n'); }
        catch (FormatException) { throw bad; }
        if (parts.Length != 4 || parts[0] is not ("o" or "p")) throw bad;
        DateTimeOffset? at = null;
        if (parts[2].Length > 0)
        {
            if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                || ticks > DateTimeOffset.MaxValue.UtcTicks) throw bad;
            at = new DateTimeOffset(ticks, TimeSpan.Zero);
        }
        var order = parts[1].Length > 0 ? parts[1] : null;
        var entry = parts[3].Length > 0 ? parts[3] : null;
        if ((order is not null && !Ids.IsValid(order)) || (entry is not null && entry.Length > 300)) throw bad;
        // A line position needs both its time and its entry; an order walk's position needs its order.
        if ((at is null) != (entry is null)) throw bad;
        if (parts[0] == "o" && order is null) throw bad;
        if (parts[0] == "p" && order is not null) throw bad;
        return new PaymentRecordCursor(parts[0] == "p", order, at, entry);
    }
}

/// <summary>The period an export covers: whole business days, at most <see cref="MaxDays"/> of them.</summary>
public static class ReportPeriod
{
    public const int MaxDays = 366;
    public const int MaxPageSize = 1_000;
    public const int DefaultPageSize = 200;

    public static void Validate(DateOnly from, DateOnly to)
    {
        if (to < from) throw DomainException.Invalid("to", "to must not be before from.");
        if (to.DayNumber - from.DayNumber + 1 > MaxDays) throw DomainException.Invalid("to", $"A period is at most {MaxDays} days.");
    }

    public static int PageSize(int? limit) => limit switch
    {
        null => DefaultPageSize,
        < 1 or > MaxPageSize => throw DomainException.Invalid("limit", $"limit must be 1..{MaxPageSize}."),
        _ => limit.Value,
    };
}

/// <summary>What the merchant identity record must look like.</summary>
public static class MerchantIdentityRules
{
    public const int MaxLegalName = 100;
    public const int MaxAddress = 200;

    // GB 32100-2015: 18 characters over this alphabet (no I, O, S, V, Z); the last is a check character.
    private const string CodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    public static MerchantIdentity Validate(MerchantIdentity? identity)
    {
        if (identity is null) throw DomainException.Invalid("identity", "A body is required.");
        var name = Text.Require(identity.LegalName, "legalName", MaxLegalName);
        var code = (identity.UnifiedSocialCreditCode ?? "").Trim().ToUpperInvariant();
        if (!IsCreditCode(code))
            throw DomainException.Invalid("unifiedSocialCreditCode", "unifiedSocialCreditCode must be an 18-character unified social credit code with a valid check character.");
        string? address = null;
        if (!string.IsNullOrWhiteSpace(identity.RegisteredAddress)) address = Text.Require(identity.RegisteredAddress, "registeredAddress", MaxAddress);
        return new MerchantIdentity(name, code, address);
    }

    /// <summary>A unified social credit code: 18 characters of the code alphabet whose last is the check character (weights 3^i mod 31).</summary>
    public static bool IsCreditCode(string code)
    {
        if (code.Length != 18) return false;
        var sum = 0;
        var weight = 1;
        for (var i = 0; i < 17; i++)
        {
            var value = CodeAlphabet.IndexOf(code[i]);
            if (value < 0) return false;
            sum += value * weight;
            weight = weight * 3 % 31;
        }
        return code[17] == CodeAlphabet[(31 - sum % 31) % 31];
    }
}
