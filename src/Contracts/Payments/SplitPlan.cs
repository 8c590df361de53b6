namespace LiveCommerce.Contracts.Payments;

/// <summary>Who a share of an order's money goes to.</summary>
public enum PartyRole
{
    /// <summary>The brand/merchant selling the goods; takes the rounding remainder.</summary>
    Seller = 0,
    /// <summary>A distributor at level 1..6 of the distribution chain.</summary>
    Distributor = 1,
    /// <summary>The streamer whose room sold the goods.</summary>
    Streamer = 2,
    /// <summary>The platform's fee.</summary>
    Platform = 3,
}

/// <summary>One party's share of every paid order, in basis points (1 bp = 0.01%) of the amount paid.</summary>
[GenerateSerializer, Immutable]
public sealed record SplitShare(
    [property: Id(0)] PartyRole Role,
    [property: Id(1)] string AccountId,
    [property: Id(2)] int BasisPoints,
    [property: Id(3)] int Level = 0);

/// <summary>
/// How a paid order's money is divided. Shares add up to 10,000 bp; exactly one seller share; distributor
/// levels are 1..n without gaps. Validated against <c>SplitPolicy</c> when a product is put on a shelf.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SplitPlan([property: Id(0)] IReadOnlyList<SplitShare> Shares)
{
    public const int WholeInBasisPoints = 10_000;
}
