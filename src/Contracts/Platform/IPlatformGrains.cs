using LiveCommerce.Contracts.Common;

namespace LiveCommerce.Contracts.Platform;

/// <summary>
/// The scopes a merchant can grant a service provider's app. Each names a set of /v1 endpoints the app may call for
/// the merchant (the endpoint declares its scope); an app holds only those its admin registration allows AND the
/// merchant granted.
/// </summary>
public static class AppScopes
{
    public const string OrdersRead = "orders.read";
    public const string OrdersFulfil = "orders.fulfil";
    public const string AfterSaleWrite = "aftersale.write";
    public const string SettlementRead = "settlement.read";
    public const string SettlementConfig = "settlement.config";
    public const string SplitsWrite = "splits.write";
    public const string Webhooks = "webhooks";

    public static readonly IReadOnlyList<string> All =
        [OrdersRead, OrdersFulfil, AfterSaleWrite, SettlementRead, SettlementConfig, SplitsWrite, Webhooks];

    /// <summary>The scopes, known, distinct and sorted; a validation error names <paramref name="field"/> otherwise.</summary>
    public static IReadOnlyList<string> Require(IEnumerable<string>? scopes, string field)
    {
        var list = scopes?.ToList() ?? [];
        if (list.Count == 0) throw DomainException.Invalid(field, $"{field} must name at least one scope.");
        if (list.Count > All.Count * 2) throw DomainException.Invalid(field, $"{field} has too many entries.");
        foreach (var s in list)
            if (!All.Contains(s)) throw DomainException.Invalid(field, $"'{Shorten(s)}' is not a scope; scopes are {string.Join(", ", All)}.");
        return list.Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The scopes of <paramref name="requested"/> that <paramref name="allowed"/> lacks.</summary>
    public static IReadOnlyList<string> Missing(IEnumerable<string> requested, IEnumerable<string> allowed) =>
        requested.Except(allowed, StringComparer.Ordinal).ToList();

    private static string Shorten(string? s) => s is null ? "" : s.Length > 40 ? s[..40] : s;
}

/// <summary>What an admin registers for an app (the client secret lives only in the OAuth store, hashed).</summary>
[GenerateSerializer, Immutable]
public sealed record AppRegistration(
    [property: Id(0)] string DisplayName,
    [property: Id(1)] IReadOnlyList<string> AllowedScopes,
    [property: Id(2)] string? WebhookUrl,
    [property: Id(3)] string RegisteredBy);

[GenerateSerializer, Immutable]
public sealed record AppView(
    [property: Id(0)] string ClientId,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] IReadOnlyList<string> AllowedScopes,
    [property: Id(3)] string? WebhookUrl,
    [property: Id(4)] DateTimeOffset RegisteredAt);

[GenerateSerializer, Immutable]
public sealed record AppGrantView(
    [property: Id(0)] string MerchantId,
    [property: Id(1)] string ClientId,
    [property: Id(2)] IReadOnlyList<string> Scopes,
    [property: Id(3)] DateTimeOffset GrantedAt);

/// <summary>A service provider's app (key: its OAuth client id), as the platform registered it.</summary>
public interface IPlatformAppGrain : IGrainWithStringKey
{
    /// <summary>Registers the app; the same registration again is a no-op, a different one for an existing app is 409 <c>app.exists</c>.</summary>
    Task<AppView> Register(AppRegistration registration);

    /// <summary>The app, or null when it was never registered.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<AppView?> Find();

    /// <summary>
    /// Sets the webhook URL and subscribed event types (the URL passes the SSRF guard). The first subscription issues a
    /// signing secret, returned once; the same subscription again changes nothing.
    /// </summary>
    Task<WebhookConfigChange> SetWebhook(string url, IReadOnlyList<string> eventTypes);

    /// <summary>Issues a new signing secret (returned once); the previous one still signs during a grace period.</summary>
    Task<WebhookConfigChange> RotateWebhookSecret();

    [Orleans.Concurrency.ReadOnly]
    Task<WebhookConfigView> WebhookConfig();

    /// <summary>Where and how to deliver, with the signing secrets; null when the app has no URL, types or secret. Silo-internal.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<WebhookTarget?> WebhookTarget();
}

/// <summary>The apps a merchant granted, and with which scopes (key: the merchant id).</summary>
public interface IMerchantAppGrantsGrain : IGrainWithStringKey
{
    /// <summary>
    /// Grants (or changes the grant of) <paramref name="clientId"/>: the scopes must be a subset of what the app is registered
    /// for (404 for an unknown app, 400 otherwise).
    /// </summary>
    Task<AppGrantView> Grant(string clientId, IReadOnlyList<string> scopes);

    /// <summary>Revokes the grant; true when there was one. Tokens already issued live out their short lifetime.</summary>
    Task<bool> Revoke(string clientId);

    /// <summary>The grant to <paramref name="clientId"/>, or null.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<AppGrantView?> Find(string clientId);

    /// <summary>Every grant, by client id.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<IReadOnlyList<AppGrantView>> List();

    /// <summary>The merchant's webhook events were appended to the log: pokes the dispatchers of the apps granted <c>webhooks</c>.</summary>
    [Orleans.Concurrency.OneWay, Orleans.Concurrency.ReadOnly]
    Task NotifyWebhookEvents();
}
