using LiveCommerce.Contracts.Orders;
using LiveCommerce.Grains.Payments.Gateway;

namespace LiveCommerce.Grains.Orders;

/// <summary>How a payment result compares with the provider's own record of it and with what the order asked for.</summary>
public enum PaymentMatch
{
    /// <summary>The provider confirms the result, for this order's own attempt, for the amount due.</summary>
    Matches,
    /// <summary>The provider has no such payment, or it is not one of this order's attempts.</summary>
    UnknownAttempt,
    /// <summary>The provider's status differs from the result (e.g. a "succeeded" for a payment still open).</summary>
    NotConfirmed,
    /// <summary>The result's amount differs from the provider's, or the payment was opened for another amount.</summary>
    AmountMismatch,
    /// <summary>The provider confirms this order's attempt succeeded, but it captured another amount than asked.</summary>
    CapturedOtherAmount,
}

/// <summary>
/// The order's rules for believing a payment result: a callback is a notification, the provider's record is the
/// truth, and only an attempt the order opened (its reference <c>{orderId}-{n}</c>) for the amount due pays it.
/// </summary>
public static class PaymentMatching
{
    /// <summary>
    /// True when <paramref name="reference"/> is <c>{orderId}-{n}</c> with n from 1 to one more than the attempts
    /// recorded: an attempt may be open at the provider before the order records it (starting a payment writes nothing).
    /// </summary>
    public static bool IsOwnReference(string reference, string orderId, int attemptsRecorded)
    {
        if (reference.Length <= orderId.Length + 1 || !reference.StartsWith(orderId, StringComparison.Ordinal) || reference[orderId.Length] != '-') return false;
        var digits = reference.AsSpan(orderId.Length + 1);
        if (digits[0] == '0' || !int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)) return false;
        return n >= 1 && n <= attemptsRecorded + 1;
    }

    public static PaymentMatch Check(string orderId, long amountDue, int attemptsRecorded, PaymentResult claim, GatewayPayment? confirmed)
    {
        if (confirmed is null || confirmed.PaymentId != claim.PaymentId || confirmed.OrderId != orderId
            || !IsOwnReference(confirmed.Reference, orderId, attemptsRecorded))
            return PaymentMatch.UnknownAttempt;
        var succeeded = confirmed.Status == GatewayPaymentStatus.Succeeded;
        if (confirmed.Status == GatewayPaymentStatus.Processing || succeeded != claim.Succeeded) return PaymentMatch.NotConfirmed;
        if (confirmed.Amount != amountDue || (succeeded && claim.Amount != confirmed.AmountCaptured)) return PaymentMatch.AmountMismatch;
        if (succeeded && confirmed.AmountCaptured != amountDue) return PaymentMatch.CapturedOtherAmount;
        return PaymentMatch.Matches;
    }

    /// <summary>
    /// A repeat of a result already applied to <paramref name="attempt"/> is harmless only when it says the same;
    /// otherwise it is a forgery or a confused sender, and is refused.
    /// </summary>
    public static bool RepeatsApplied(PaymentResult claim, bool attemptSucceeded, long captured) =>
        attemptSucceeded ? claim.Succeeded && claim.Amount == captured : !claim.Succeeded;
}
