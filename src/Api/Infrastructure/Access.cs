using System.Security.Claims;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Platform;

namespace LiveCommerce.Api.Infrastructure;

/// <summary>The kinds of party a token can act as; each is owned by exactly one role.</summary>
public enum Party
{
    Buyer,
    Streamer,
    Merchant,
}

/// <summary>
/// Resource-based authorization, in one place. A caller is a (role, subject) pair from a validated token, and a
/// resource belongs to a party of a kind: it acts on the resource only when its role is that kind's role AND its
/// subject is the party's id. Comparing the subject alone let a buyer token whose subject equals a merchant id act as
/// that merchant. Admins (operators) may act on every resource. System parties (<c>platform</c>) never appear as a
/// subject (<see cref="AuthSetup.IdentityProblem"/>), so only admins reach their resources.
/// </summary>
public static class Access
{
    public static string RoleOf(Party party) => party switch
    {
        Party.Buyer => Roles.Buyer,
        Party.Streamer => Roles.Streamer,
        Party.Merchant => Roles.Merchant,
        _ => throw new ArgumentOutOfRangeException(nameof(party)),
    };

    /// <summary>Roles whose parties hold settlement accounts: merchants (sellers) and streamers (streamer and distributor shares).</summary>
    private static readonly Party[] AccountHolders = [Party.Merchant, Party.Streamer];

    public static string Subject(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new DomainException(ErrorKind.Forbidden, "forbidden", "The token has no subject.");

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(Roles.Admin);

    /// <summary>The caller is <paramref name="party"/> <paramref name="id"/>: the party's role and the party's id.</summary>
    public static bool Is(this ClaimsPrincipal user, Party party, string? id) =>
        id is not null && user.IsInRole(RoleOf(party)) && user.FindFirstValue("sub") == id;

    /// <summary>The caller acts as <paramref name="party"/> <paramref name="id"/>, or is an admin; otherwise 403.</summary>
    public static void EnsureActsAs(this ClaimsPrincipal user, Party party, string id)
    {
        if (user.IsAdmin() || user.Is(party, id)) return;
        throw DomainException.Forbidden($"Only {RoleOf(party)} {id} or an admin may do this.");
    }

    /// <summary>A settlement account (keyed by its party's id) is its merchant's or streamer's; system accounts are admins' only.</summary>
    public static void EnsureOwnsAccount(this ClaimsPrincipal user, string accountId)
    {
        if (user.IsAdmin() || AccountHolders.Any(p => user.Is(p, accountId))) return;
        throw DomainException.Forbidden("Only the account's own merchant or streamer, or an admin, may use this account.");
    }

    /// <summary>An order is its buyer's and its merchant's.</summary>
    public static void EnsureCanRead(this ClaimsPrincipal user, OrderView order)
    {
        if (user.IsAdmin() || user.Is(Party.Buyer, order.BuyerId) || user.Is(Party.Merchant, order.MerchantId)) return;
        throw DomainException.Forbidden("This order belongs to someone else.");
    }

    /// <summary>The caller is <paramref name="party"/> <paramref name="id"/> itself: steps that are the party's own word (no admin stand-in).</summary>
    public static void EnsureIs(this ClaimsPrincipal user, Party party, string id)
    {
        if (user.Is(party, id)) return;
        throw DomainException.Forbidden($"Only {RoleOf(party)} {id} may do this.");
    }

    /// <summary>An after-sale case is its buyer's and its merchant's; admins (the arbiters) read every case.</summary>
    public static void EnsureCanRead(this ClaimsPrincipal user, AfterSaleCaseView afterSale)
    {
        if (user.IsAdmin() || user.Is(Party.Buyer, afterSale.BuyerId) || user.Is(Party.Merchant, afterSale.MerchantId)) return;
        throw DomainException.Forbidden("This after-sale case belongs to someone else.");
    }

    /// <summary>Who moderates a room's comments (and so sees their authors' buyer ids): its streamer and admins.</summary>
    public static bool MayModerate(this ClaimsPrincipal user, string streamerId) => user.IsAdmin() || user.Is(Party.Streamer, streamerId);

    /// <summary>An order's split is for its merchant and the parties in it (each in the role of its share), and admins.</summary>
    public static void EnsureCanReadSplit(this ClaimsPrincipal user, OrderView order)
    {
        if (user.IsAdmin() || user.Is(Party.Merchant, order.MerchantId)) return;
        if (order.Split.Any(line => PartyOf(line.Role) is { } party && user.Is(party, line.AccountId))) return;
        throw DomainException.Forbidden("Only the order's merchant, its split parties and admins can read its split.");
    }

    /// <summary>The kind of party a share is paid to; the platform share has none (system account).</summary>
    public static Party? PartyOf(PartyRole role) => role switch
    {
        PartyRole.Seller => Party.Merchant,
        PartyRole.Streamer or PartyRole.Distributor => Party.Streamer,
        _ => null,
    };

    // ---- Apps (service providers) acting for a merchant ----------------------------------------------------------

    /// <summary>The authentication type of principals from app tokens (OAuth client credentials).</summary>
    public const string AppAuthenticationType = "app";
    public const string ClientIdClaim = "client_id";
    public const string MerchantClaim = "merchant_id";

    /// <summary>The caller authenticated with an app token and has not been turned into its merchant yet (no role).</summary>
    public static bool IsApp(this ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true, AuthenticationType: AppAuthenticationType } && !user.HasClaim(c => c.Type == "role");

    /// <summary>The app a caller acts through, or null for a user.</summary>
    public static string? ActingApp(this ClaimsPrincipal user) =>
        user.Identity?.AuthenticationType == AppAuthenticationType ? user.FindFirstValue(ClientIdClaim) : null;

    /// <summary>An app's own settings (webhooks): the app itself, through a token of that client, or an admin.</summary>
    public static void EnsureAppOrAdmin(this ClaimsPrincipal user, string clientId)
    {
        if (user.IsAdmin() || user.ActingApp() == clientId) return;
        throw DomainException.Forbidden($"Only app {clientId} itself or an admin may do this.");
    }

    /// <summary>The scopes an app token carries (<c>scope</c> is space-separated, RFC 9068).</summary>
    public static IReadOnlyList<string> AppScopesOf(ClaimsPrincipal user) =>
        user.FindAll("scope").SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Distinct().ToList();

    /// <summary>Why a validated app token's identity is refused, or null: one client, one merchant that is a valid id and no system party, known scopes, no role.</summary>
    public static string? AppTokenProblem(ClaimsPrincipal principal, SystemSubjects systemSubjects)
    {
        var clients = principal.FindAll(ClientIdClaim).Select(c => c.Value).ToList();
        if (clients.Count != 1 || !Ids.IsValid(clients[0])) return "An app token needs exactly one client_id that is a valid id.";
        var merchants = principal.FindAll(MerchantClaim).Select(c => c.Value).ToList();
        if (merchants.Count != 1 || !Ids.IsValid(merchants[0]) || systemSubjects.Contains(merchants[0]))
            return "An app token needs exactly one merchant_id that is a merchant's id.";
        // A role in an app token would make it a user token: apps get their rights from scopes only.
        if (principal.FindAll("role").Any()) return "An app token carries no role.";
        var scopes = AppScopesOf(principal);
        if (scopes.Count == 0 || scopes.Any(s => !AppScopes.All.Contains(s))) return "An app token needs known scopes.";
        return null;
    }

    /// <summary>
    /// An app token for merchant M with scope S passes exactly where merchant M would, on endpoints open to S: the
    /// principal becomes merchant M (role and subject) for this request, so every resource check above applies
    /// unchanged. An endpoint open to no scope (admin, buyer, streamer routes) or to a scope the token lacks refuses it.
    /// The returned principal keeps the client id, so handlers can tell an app acted.
    /// </summary>
    public static (ClaimsPrincipal? Acting, string? Problem) ActingForMerchant(ClaimsPrincipal app, string? endpointScope)
    {
        if (endpointScope is null) return (null, "This endpoint is not open to apps.");
        if (!AppScopesOf(app).Contains(endpointScope)) return (null, $"The app token lacks the scope '{endpointScope}'.");
        var merchant = app.FindFirstValue(MerchantClaim)!;
        var identity = new ClaimsIdentity(AppAuthenticationType, "sub", "role");
        identity.AddClaim(new Claim("sub", merchant));
        identity.AddClaim(new Claim("role", Roles.Merchant));
        identity.AddClaim(new Claim(ClientIdClaim, app.FindFirstValue(ClientIdClaim)!));
        identity.AddClaim(new Claim("scope", endpointScope));
        return (new ClaimsPrincipal(identity), null);
    }
}
