using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Gateway;

namespace LiveCommerce.Tests.Support;

/// <summary>The conservation invariants of DESIGN.md section 3, checked against the grains and the provider's records.</summary>
public static class Books
{
    /// <summary>paid = Σ pending + Σ on hold + Σ settled + refunded, for the order, to the fen.</summary>
    public static void AssertOrderConserved(OrderView order)
    {
        Assert.Equal(order.PaidAmount, order.Split.Sum(l => l.Amount));
        Assert.Equal(order.RefundedAmount, order.Split.Sum(l => l.Refunded));
        var held = order.Split.Where(l => l.Status != ShareStatus.Reversed).Sum(l => l.Amount - l.Refunded);
        Assert.Equal(order.PaidAmount, held + order.RefundedAmount);
        Assert.InRange(order.RefundedAmount, 0, order.PaidAmount);
        Assert.All(order.Split, l => Assert.InRange(l.Refunded, 0, l.Amount));
    }

    /// <summary>
    /// Σ account balances + Σ refunds = Σ payments, over the given orders and the accounts they credit. Accounts in
    /// <paramref name="sharedAccounts"/> also hold other tests' money: for those, the orders' own lines stand in for
    /// the balance (and the account is checked on its own).
    /// </summary>
    public static async Task AssertSystemConservedAsync(IGrainFactory grains, ISandboxStore provider, IReadOnlyCollection<string> orderIds, IEnumerable<string> accountIds,
        params string[] sharedAccounts)
    {
        var ids = orderIds.ToHashSet();
        var records = (await provider.ListCompletedAsync(DateTimeOffset.MinValue, DateTimeOffset.MaxValue))
            .Where(p => ids.Contains(p.OrderId) && p.Status == SandboxPaymentStatus.Succeeded).ToList();
        var payments = records.Sum(p => p.AmountCaptured);
        var refunds = records.Sum(p => p.Refunds.Sum(r => r.Amount));

        long balances = 0;
        foreach (var account in accountIds.Distinct())
        {
            try
            {
                var b = await grains.GetGrain<ISettlementAccountGrain>(account).GetBalance();
                if (sharedAccounts.Contains(account))
                {
                    foreach (var id in ids)
                        balances += (await grains.GetGrain<IOrderGrain>(id).Get()).Split.Where(l => l.AccountId == account).Sum(l => l.Amount - l.Refunded);
                }
                else
                {
                    balances += b.Pending + b.OnHold + b.Available + b.PaidOut;
                }
                Assert.Equal(b.TotalCredited - b.TotalReversed, b.Pending + b.OnHold + b.Available + b.PaidOut);
            }
            catch (DomainException e) when (e.Kind == ErrorKind.NotFound) { }
        }
        Assert.Equal(payments, balances + refunds);

        foreach (var id in ids)
        {
            var order = await grains.GetGrain<IOrderGrain>(id).Get();
            AssertOrderConserved(order);
            var mine = records.Where(r => r.OrderId == id).ToList();
            // Every succeeded payment is either the one that paid the order or refunded in full.
            var extra = order.PaidAmount == 0 ? mine : mine.Where(r => r.PaymentId != order.PaymentId).ToList();
            Assert.Equal(mine.Sum(r => r.AmountCaptured), order.PaidAmount + extra.Sum(r => r.AmountCaptured));
            Assert.Equal(mine.Sum(r => r.Refunds.Sum(x => x.Amount)), order.RefundedAmount + extra.Sum(r => r.AmountCaptured));
        }
    }
}
