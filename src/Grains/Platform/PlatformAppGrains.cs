using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Common;
using System.Security.Cryptography;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Platform.Webhooks;
using Microsoft.Extensions.Options;

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
    [Id(6)] public List<string> WebhookEventTypes { get; set; } = [];
    /// <summary>The Standard Webhooks signing secret (<c>whsec_</c> + base64 of 32 random bytes).</summary>
    [Id(7)] public string? WebhookSecret { get; set; }
    [Id(8)] public DateTimeOffset? WebhookSecretIssuedAt { get; set; }
    /// <summary>The secret before the last rotation, still signing until <see cref="PreviousSecretUntil"/>.</summary>
    [Id(9)] public string? PreviousSecret { get; set; }
    [Id(10)] public DateTimeOffset? PreviousSecretUntil { get; set; }
}

/// <summary>An app's registration. Its credentials are in the OAuth server's store; this is what grains need to know.</summary>
public sealed class PlatformAppGrain(
    [PersistentState("platformApp", StorageNames.Platform)] IPersistentState<PlatformAppState> state,
    WebhookTargetGuard guard,
    IOptions<WebhookOptions> webhookOptions,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IPlatformAppGrain
{
    private PlatformAppState S => state.State;

    public async Task<AppView> Register(AppRegistration registration)
    {
        var name = Text.Require(registration.DisplayName, "displayName", 100);
        var scopes = AppScopes.Require(registration.AllowedScopes, "scopes");
        var webhookUrl = registration.WebhookUrl is null ? null : await RequireWebhookUrlAsync(registration.WebhookUrl, "webhookUrl");
        if (S.Exists)
        {
            // A retried registration (the OAuth store's write failed after ours) is the same one: accept it.
            if (S.DisplayName == name && S.AllowedScopes.SequenceEqual(scopes) && S.WebhookUrl == webhookUrl) return View();
            throw DomainException.Conflict("app.exists", $"App '{this.GetPrimaryKeyString()}' is already registered.");
        }
        S.Exists = true;
        S.DisplayName = name;
        S.AllowedScopes = [.. scopes];
        S.WebhookUrl = webhookUrl;
        S.RegisteredBy = registration.RegisteredBy;
        S.RegisteredAt = clock.GetUtcNow();
        await state.WriteStateAsync();
        return View();
    }

    public Task<AppView?> Find() => Task.FromResult(S.Exists ? View() : null);

    public async Task<WebhookConfigChange> SetWebhook(string url, IReadOnlyList<string> eventTypes)
    {
        RequireExists();
        var normalised = await RequireWebhookUrlAsync(url, "url");
        var types = WebhookEventTypes.Require(eventTypes, "eventTypes");
        if (!S.AllowedScopes.Contains(AppScopes.Webhooks))
            throw DomainException.Conflict("app.scope", $"App '{this.GetPrimaryKeyString()}' is not registered for the {AppScopes.Webhooks} scope.");
        string? issued = null;
        if (S.WebhookUrl != normalised || !S.WebhookEventTypes.SequenceEqual(types) || S.WebhookSecret is null)
        {
            S.WebhookUrl = normalised;
            S.WebhookEventTypes = [.. types];
            if (S.WebhookSecret is null) issued = IssueSecret();
            await state.WriteStateAsync();
        }
        await GrainFactory.Ref<IWebhookDispatcherGrain>(this.GetPrimaryKeyString()).Start();
        return new WebhookConfigChange(Config(), issued);
    }

    public async Task<WebhookConfigChange> RotateWebhookSecret()
    {
        RequireExists();
        if (S.WebhookSecret is null) throw DomainException.Conflict("webhook.not_configured", "Set the webhook URL first; it issues the first secret.");
        S.PreviousSecret = S.WebhookSecret;
        S.PreviousSecretUntil = clock.GetUtcNow() + webhookOptions.Value.SecretGracePeriod;
        var issued = IssueSecret();
        await state.WriteStateAsync();
        return new WebhookConfigChange(Config(), issued);
    }

    public Task<WebhookConfigView> WebhookConfig()
    {
        RequireExists();
        return Task.FromResult(Config());
    }

    public Task<WebhookTarget?> WebhookTarget()
    {
        if (!S.Exists || S.WebhookUrl is null || S.WebhookSecret is null || S.WebhookEventTypes.Count == 0) return Task.FromResult<WebhookTarget?>(null);
        var secrets = new List<string> { S.WebhookSecret };
        if (S.PreviousSecret is { } previous && clock.GetUtcNow() < S.PreviousSecretUntil) secrets.Add(previous);
        return Task.FromResult<WebhookTarget?>(new WebhookTarget(S.WebhookUrl, S.WebhookEventTypes, secrets));
    }

    private string IssueSecret()
    {
        S.WebhookSecret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        S.WebhookSecretIssuedAt = clock.GetUtcNow();
        return S.WebhookSecret;
    }

    private async Task<string> RequireWebhookUrlAsync(string url, string field)
    {
        var uri = guard.RequireUrl(url, field);
        await guard.RequirePublicHostAsync(uri, field);
        return uri.AbsoluteUri;
    }

    private void RequireExists()
    {
        if (!S.Exists) throw DomainException.NotFound("app", this.GetPrimaryKeyString());
    }

    private WebhookConfigView Config() =>
        new(this.GetPrimaryKeyString(), S.WebhookUrl, S.WebhookEventTypes, S.WebhookSecret is not null, S.WebhookSecretIssuedAt);

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
        if (grants.TryGetValue(clientId, out var existing) && existing.Scopes.SequenceEqual(wanted))
        {
            // A retry after the dispatcher call failed: repeat it (idempotent there).
            await Dispatcher(clientId).SetMerchantGrant(MerchantId, existing.Scopes);
            return View(clientId, existing);
        }
        if (existing is null && grants.Count >= MaxGrants)
            throw DomainException.Conflict("grants.limit", $"A merchant can grant at most {MaxGrants} apps.");
        var record = new AppGrantRecord { Scopes = [.. wanted], GrantedAt = clock.GetUtcNow() };
        // Narrowing stops deliveries before the grant says so (the scopes kept from before); widening starts them after.
        var kept = existing?.Scopes.Intersect(wanted).ToList() ?? [];
        if (existing is not null && kept.Count < existing.Scopes.Count) await Dispatcher(clientId).SetMerchantGrant(MerchantId, kept);
        grants[clientId] = record;
        await state.WriteStateAsync();
        await Dispatcher(clientId).SetMerchantGrant(MerchantId, wanted);
        return View(clientId, record);
    }

    public async Task<bool> Revoke(string clientId)
    {
        Ids.Require(clientId, "clientId");
        // Deliveries stop first; a retried revoke (the write failed) repeats the call harmlessly.
        await Dispatcher(clientId).SetMerchantGrant(MerchantId, []);
        if (!state.State.Grants.Remove(clientId)) return false;
        await state.WriteStateAsync();
        return true;
    }

    public Task NotifyWebhookEvents()
    {
        foreach (var (clientId, grant) in state.State.Grants)
            if (grant.Scopes.Contains(AppScopes.Webhooks)) _ = Dispatcher(clientId).Poke();
        return Task.CompletedTask;
    }

    private IWebhookDispatcherGrain Dispatcher(string clientId) => GrainFactory.Ref<IWebhookDispatcherGrain>(clientId);

    public Task<AppGrantView?> Find(string clientId) =>
        Task.FromResult(state.State.Grants.TryGetValue(clientId, out var g) ? View(clientId, g) : null);

    public Task<IReadOnlyList<AppGrantView>> List() =>
        Task.FromResult<IReadOnlyList<AppGrantView>>(state.State.Grants.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => View(g.Key, g.Value)).ToList());

    private AppGrantView View(string clientId, AppGrantRecord g) => new(MerchantId, clientId, g.Scopes, g.GrantedAt);
}
