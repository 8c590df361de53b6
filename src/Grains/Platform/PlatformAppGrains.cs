using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;

namespace LiveCommerce.Grains.Platform;

[GenerateSerializer]
public sealed class PlatformAppState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public string DisplayName { get; set; } = "";
    [Id(2)] public List<string> AllowedScopes { get; set; } = [];
    [Id(3)] public string? WebhookUrl { get; set; }
    [Id(4)] public string RegisteredBy { get; set; } = "";
    [Id(5)] public DateTimeOffset RegisteredAt { get; set; }
}

/// <summary>An app's registration. Its credentials are in the OAuth server's store; this is what grains need to know.</summary>
public sealed class PlatformAppGrain(
    [PersistentState("platformApp", StorageNames.Platform)] IPersistentState<PlatformAppState> state,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IPlatformAppGrain
{
    private PlatformAppState S => state.State;

    public async Task<AppView> Register(AppRegistration registration)
    {
        var name = Text.Require(registration.DisplayName, "displayName", 100);
        var scopes = AppScopes.Require(registration.AllowedScopes, "scopes");
        if (S.Exists)
        {
            // A retried registration (the OAuth store's write failed after ours) is the same one: accept it.
            if (S.DisplayName == name && S.AllowedScopes.SequenceEqual(scopes) && S.WebhookUrl == registration.WebhookUrl) return View();
            throw DomainException.Conflict("app.exists", $"App '{this.GetPrimaryKeyString()}' is already registered.");
        }
        S.Exists = true;
        S.DisplayName = name;
        S.AllowedScopes = [.. scopes];
        S.WebhookUrl = registration.WebhookUrl;
        S.RegisteredBy = registration.RegisteredBy;
        S.RegisteredAt = clock.GetUtcNow();
        await state.WriteStateAsync();
        return View();
    }

    public Task<AppView?> Find() => Task.FromResult(S.Exists ? View() : null);

    private AppView View() => new(this.GetPrimaryKeyString(), S.DisplayName, S.AllowedScopes, S.WebhookUrl, S.RegisteredAt);
}

[GenerateSerializer]
public sealed class MerchantAppGrantsState
{
    [Id(0)] public Dictionary<string, AppGrantRecord> Grants { get; set; } = [];
}

[GenerateSerializer]
public sealed class AppGrantRecord
{
    [Id(0)] public List<string> Scopes { get; set; } = [];
    [Id(1)] public DateTimeOffset GrantedAt { get; set; }
}

/// <summary>A merchant's grants to apps. The token endpoint reads it before issuing a token for the merchant.</summary>
public sealed class MerchantAppGrantsGrain(
    [PersistentState("merchantAppGrants", StorageNames.Platform)] IPersistentState<MerchantAppGrantsState> state,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IMerchantAppGrantsGrain
{
    /// <summary>A merchant works with a handful of service providers; the bound keeps the state one small row.</summary>
    public const int MaxGrants = 50;

    private string MerchantId => this.GetPrimaryKeyString();

    public async Task<AppGrantView> Grant(string clientId, IReadOnlyList<string> scopes)
    {
        Ids.Require(clientId, "clientId");
        var wanted = AppScopes.Require(scopes, "scopes");
        var app = await GrainFactory.Ref<IPlatformAppGrain>(clientId).Find() ?? throw DomainException.NotFound("app", clientId);
        if (AppScopes.Missing(wanted, app.AllowedScopes) is { Count: > 0 } missing)
            throw DomainException.Invalid("scopes", $"App '{clientId}' is not registered for {string.Join(", ", missing)}.");
        var grants = state.State.Grants;
        if (grants.TryGetValue(clientId, out var existing) && existing.Scopes.SequenceEqual(wanted)) return View(clientId, existing);
        if (existing is null && grants.Count >= MaxGrants)
            throw DomainException.Conflict("grants.limit", $"A merchant can grant at most {MaxGrants} apps.");
        var record = new AppGrantRecord { Scopes = [.. wanted], GrantedAt = clock.GetUtcNow() };
        grants[clientId] = record;
        await state.WriteStateAsync();
        return View(clientId, record);
    }

    public async Task<bool> Revoke(string clientId)
    {
        if (!state.State.Grants.Remove(clientId)) return false;
        await state.WriteStateAsync();
        return true;
    }

    public Task<AppGrantView?> Find(string clientId) =>
        Task.FromResult(state.State.Grants.TryGetValue(clientId, out var g) ? View(clientId, g) : null);

    public Task<IReadOnlyList<AppGrantView>> List() =>
        Task.FromResult<IReadOnlyList<AppGrantView>>(state.State.Grants.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => View(g.Key, g.Value)).ToList());

    private AppGrantView View(string clientId, AppGrantRecord g) => new(MerchantId, clientId, g.Scopes, g.GrantedAt);
}
