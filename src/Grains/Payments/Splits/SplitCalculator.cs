using LiveCommerce.Contracts.Payments;

namespace LiveCommerce.Grains.Payments.Splits;

/// <summary>
/// Integer-fen arithmetic for splits and refunds. Parts always add up to the whole, to the fen; no party is ever
/// charged back more than it received.
/// </summary>
public static class SplitCalculator
{
    /// <summary>
    /// Each party's part of <paramref name="amount"/>: its basis points rounded down, with the remainder to the
    /// seller. Parts are in plan order.
    /// </summary>
    public static long[] Split(long amount, SplitPlan plan)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        var shares = plan.Shares;
        var parts = new long[shares.Count];
        long assigned = 0;
        var seller = -1;
        for (var i = 0; i < shares.Count; i++)
        {
            if (shares[i].Role == PartyRole.Seller) { seller = i; continue; }
            // amount * bp can overflow long only above ~9.2e14 fen (9.2 trillion yuan); use 128-bit to be exact anyway.
            parts[i] = (long)((Int128)amount * shares[i].BasisPoints / SplitPlan.WholeInBasisPoints);
            assigned = checked(assigned + parts[i]);
        }
        if (seller < 0) throw new ArgumentException("the plan has no seller share", nameof(plan));
        parts[seller] = amount - assigned;
        return parts;
    }

    /// <summary>
    /// Splits a refund over parties in proportion to what each still holds (<paramref name="remaining"/>), so a
    /// series of partial refunds follows the plan's proportions and never takes more from a party than it has.
    /// Rounded down; the leftover fen (fewer than the number of parties) go to parties with room left, the seller (<paramref name="preferred"/>)
    /// first, then in plan order.
    /// </summary>
    public static long[] AllocateRefund(long refund, IReadOnlyList<long> remaining, int preferred)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(refund);
        long available = 0;
        foreach (var r in remaining)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(r);
            available = checked(available + r);
        }
        if (refund > available) throw new ArgumentOutOfRangeException(nameof(refund), $"refund {refund} exceeds the {available} that remains");

        var parts = new long[remaining.Count];
        if (refund == 0) return parts;
        long assigned = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = (long)((Int128)remaining[i] * refund / available);
            assigned = checked(assigned + parts[i]);
        }
        var leftover = refund - assigned;
        // Capacity left is available - assigned >= refund - assigned = leftover, so this always places every fen.
        foreach (var i in Order(parts.Length, preferred))
        {
            if (leftover == 0) break;
            var room = remaining[i] - parts[i];
            var take = Math.Min(room, leftover);
            parts[i] = checked(parts[i] + take);
            leftover = checked(leftover - take);
        }
        return parts;
    }

    private static IEnumerable<int> Order(int count, int preferred)
    {
        if (preferred >= 0 && preferred < count) yield return preferred;
        for (var i = 0; i < count; i++) if (i != preferred) yield return i;
    }
}
