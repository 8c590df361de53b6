using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Contracts.Traffic;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Payments.Accounts;
using LiveCommerce.Grains.Traffic;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Platform;

/// <summary>Rules of configuration changes, without a silo.</summary>
public sealed class ConfigurationChangeRuleTests
{
    [Fact]
    public void A_ranking_change_from_a_stale_version_is_a_conflict_and_an_unchanged_one_creates_no_version()
    {
        var current = RankingConfig.Default with { Version = 7 };
        var stale = Assert.Throws<DomainException>(() => RankingConfigGrain.NextVersion(current, current with { Version = 6, ContentSharePercent = 40 }));
        Assert.Equal(ErrorKind.Conflict, stale.Kind);
        Assert.Equal("7", stale.CurrentState);
        Assert.Null(RankingConfigGrain.NextVersion(current, current));
        Assert.Equal(8, RankingConfigGrain.NextVersion(current, current with { ContentSharePercent = 40 })!.Version);
    }

    [Theory]
    [InlineData(0, false, true)]
    [InlineData(30, false, true)]
    [InlineData(31, false, false)]
    [InlineData(-1, false, false)]
    [InlineData(0, true, false)]  // T+0 is the platform's decision
    [InlineData(1, true, true)]
    [InlineData(15, true, true)]
    [InlineData(16, true, false)]
    public void Merchants_choose_within_the_self_service_range(int days, bool selfService, bool allowed) =>
        Assert.Equal(allowed, CyclePolicy.Problem(days, selfService, new SettlementOptions()) is null);

    [Fact]
    public void Only_confirmed_unsettled_shares_are_listed_soonest_first()
    {
        var at = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
        var shares = new[]
        {
            new OpenShare { OrderId = "late", Pending = 100, ConfirmedAt = at, SettleAt = at.AddDays(3) },
            new OpenShare { OrderId = "soon", Pending = 50, ConfirmedAt = at, SettleAt = at.AddDays(1) },
            new OpenShare { OrderId = "unconfirmed", Pending = 70 },
            new OpenShare { OrderId = "settled", Pending = 0, ConfirmedAt = at, SettleAt = at.AddDays(1) },
        };
        Assert.Equal(["soon", "late"], CyclePolicy.ConfirmedUnsettled(shares).Select(s => s.OrderId));
    }
}

public sealed class SelfServiceHttpTests(OpenPlatformApi api) : IClassFixture<OpenPlatformApi>
{
    [Fact]
    public async Task A_merchant_and_its_app_with_settlement_config_choose_the_cycle_within_policy()
    {
        var shop = await OpenAsync(api);
        var other = await OpenAsync(api);
        var change = await Ok(shop.Merchant.PutAsJsonAsync($"/v1/accounts/{shop.MerchantId}/cycle", new { cycleDays = 3 }));
        Assert.Equal(3, change.GetProperty("cycleDays").GetInt32());
        Assert.Equal(0, change.GetProperty("redated").GetArrayLength());
        // Outside the self-service range, or another merchant's account: refused; an operator may set T+0.
        Assert.Equal(HttpStatusCode.BadRequest, (await shop.Merchant.PutAsJsonAsync($"/v1/accounts/{shop.MerchantId}/cycle", new { cycleDays = 0 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.Merchant.PutAsJsonAsync($"/v1/accounts/{shop.MerchantId}/cycle", new { cycleDays = 2 })).StatusCode);
        Assert.Equal(0, (await Ok(shop.Admin.PutAsJsonAsync($"/v1/accounts/{shop.MerchantId}/cycle", new { cycleDays = 0 }))).GetProperty("cycleDays").GetInt32());

        // An app: settlement.config opens the cycle, settlement.read alone does not.
        var clientId = "cfg-" + Guid.NewGuid().ToString("N")[..8];
        var (_, secret) = await api.RegisterAppAsync(shop.Admin, clientId, "settlement.read", "settlement.config");
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/app-grants/{clientId}", new { scopes = new[] { "settlement.read", "settlement.config" } }));
        var reader = await api.AppClientAsync(clientId, secret, shop.MerchantId, "settlement.read");
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PutAsJsonAsync($"/v1/accounts/{shop.MerchantId}/cycle", new { cycleDays = 2 })).StatusCode);
        var app = await api.AppClientAsync(clientId, secret, shop.MerchantId);
        var byApp = await Ok(app.PutAsJsonAsync($"/v1/accounts/{shop.MerchantId}/cycle", new { cycleDays = 2 }));
        Assert.Equal((0, 2), (byApp.GetProperty("previousCycleDays").GetInt32(), byApp.GetProperty("cycleDays").GetInt32()));
        Assert.Equal(HttpStatusCode.BadRequest, (await app.PutAsJsonAsync($"/v1/accounts/{shop.MerchantId}/cycle", new { cycleDays = 0 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.PutAsJsonAsync($"/v1/accounts/{other.MerchantId}/cycle", new { cycleDays = 2 })).StatusCode);
    }

    [Fact]
    public async Task The_ranking_config_refuses_a_stale_version_and_an_unchanged_put_keeps_its_version()
    {
        var admin = await api.ClientAs("rank-admin", "admin");
        var config = await Ok(admin.GetAsync("/v1/admin/ranking/config"));
        var version = config.GetProperty("version").GetInt64();
        var same = await Ok(admin.PutAsJsonAsync("/v1/admin/ranking/config", config));
        Assert.Equal(version, same.GetProperty("version").GetInt64());
        var changed = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(config.GetRawText())!;
        changed["contentSharePercent"] = JsonSerializer.SerializeToElement(config.GetProperty("contentSharePercent").GetInt32() == 40 ? 41 : 40);
        Assert.Equal(version + 1, (await Ok(admin.PutAsJsonAsync("/v1/admin/ranking/config", changed))).GetProperty("version").GetInt64());
        // The same body again names the old version now: 409 with the current version.
        var stale = await Read(await admin.PutAsJsonAsync("/v1/admin/ranking/config", changed), HttpStatusCode.Conflict);
        Assert.Equal((version + 1).ToString(), stale.GetProperty("currentState").GetString());
    }
}
