using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;

namespace LiveCommerce.Tests.Api;

/// <summary>
/// Every mapped endpoint (enumerated from the routing data sources, the Orleans dashboard's included), called with
/// every role's token and none, with valid, unknown and junk ids and with junk and edge-value bodies, answers no 5xx.
/// </summary>
public sealed partial class EndpointFuzzTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();

    private static readonly string[] JunkIds =
        // (%00 in a path is refused by the servers themselves before routing.)
        ["fz-unknown", "%01", new('a', 300), "..%2F..%2Fetc", "%F0%9F%98%80", "-1", "%20", "a%3Bb"];

    private const string JunkQuery =
        "from=notadate&to=2026-13-45&limit=-1&offset=99999999999&size=-5&weeks=-1&viewerId=%00&ruleId=..&merchantId=x%20y&pool=%00&grainId=%00,&grainType=..";

    /// <summary>Bodies for operations that take one: empty, wrong JSON types, malformed, too deep, and edge values.</summary>
    private static readonly string?[] Bodies =
    [
        null, "", "null", "[]", "\"text\"", "{\"a\":", new string('[', 200) + new string(']', 200),
        "{}",
        """
        {"amount":9223372036854775807,"quantity":2147483647,"livePrice":-9223372036854775808,"stock":2147483647,"perOrderLimit":-1,
         "listPrice":-1,"cycleDays":2147483647,"periodDays":-2147483648,"maxAmountPerOrder":-9223372036854775808,"count":2147483647,
         "orders":-9223372036854775808,"hour":"0001-01-01T00:00:00+00:00","from":"9999-12-31T23:59:59+00:00","to":"0001-01-01T00:00:00+00:00",
         "roomId":"..","productId":"\u0000","deviceId":"\u202e","displayName":"\u0007","homeCity":"<script>","city":"","title":"x",
         "text":"","trackingNumber":"\u0000","reason":"","decision":"nope","enabled":true,"action":"nope","severity":999,
         "thresholds":{"":-1,"x":9223372036854775807},"succeed":false,"name":"","category":"","subject":"platform","role":"admin",
         "note":"\u0000","splitPlan":{"shares":[null,{"role":"platform","accountId":"platform","basisPoints":2147483647,"level":-1}]},
         "weights":{"x":1e308},"version":-1}
        """,
        """
        {"amount":1e400,"quantity":"1","livePrice":1.5,"stock":null,"splitPlan":{"shares":{}},"thresholds":[],"decision":0,"from":"x"}
        """,
        """
        {"amount":-1,"quantity":0,"livePrice":0,"stock":0,"splitPlan":{"shares":[]},"cycleDays":0,"periodDays":0,"maxAmountPerOrder":0,"count":-2147483648}
        """,
    ];

    [Fact]
    public async Task No_endpoint_answers_5xx_to_any_role_with_junk()
    {
        var shop = await HttpShop.OpenAsync(api);
        var buyerClient = await shop.BuyerAsync("b");
        var buyerId = shop.Prefix + "-b";
        var placed = await HttpShop.Read(await shop.PlaceAsync(buyerClient, "fuzz-1"), HttpStatusCode.Created);
        var orderId = placed.GetProperty("orderId").GetString()!;
        await shop.PayAsync(buyerClient, orderId);

        var valid = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["buyerId"] = buyerId, ["streamerId"] = shop.StreamerId, ["merchantId"] = shop.MerchantId, ["accountId"] = shop.MerchantId,
            ["roomId"] = shop.RoomId, ["productId"] = shop.ProductId, ["orderId"] = orderId, ["scope"] = "room:" + shop.RoomId,
            ["pool"] = "trade", ["ruleId"] = "buyer-burst",
        };
        // The dashboard's silo routes take a silo address.
        var silo = (await api.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Keys.First();
        valid["address"] = valid["path"] = silo.ToParsableString();
        var callers = new Dictionary<string, HttpClient>
        {
            ["anonymous"] = api.CreateClient(),
            ["buyer"] = await api.ClientAs(buyerId, "buyer"),
            ["streamer"] = await api.ClientAs(shop.StreamerId, "streamer"),
            ["merchant"] = await api.ClientAs(shop.MerchantId, "merchant"),
            ["admin"] = await api.ClientAs(shop.Prefix + "-admin", "admin"),
        };

        var endpoints = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.Contains(endpoints, e => e.RoutePattern.RawText?.StartsWith("/dashboard", StringComparison.Ordinal) == true);
        Assert.True(endpoints.Count > 60, $"only {endpoints.Count} endpoints found");

        var failures = new List<string>();
        var calls = 0;
        foreach (var endpoint in endpoints)
        {
            var template = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            // The dashboard's log stream stays open for an hour by design; it takes no input.
            if (template == "/dashboard/Trace") continue;
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            // Every parameter valid, then each junk id in every parameter at once.
            var paths = new List<string> { Parameter().Replace(template, m => valid.GetValueOrDefault(Name(m.Value), "fz-unknown")) };
            if (template.Contains('{')) paths.AddRange(JunkIds.Select(junk => Parameter().Replace(template, _ => junk)));
            foreach (var method in methods)
            {
                var bodies = method is "GET" or "HEAD" or "OPTIONS" ? [null] : Bodies;
                foreach (var path in paths)
                foreach (var query in new[] { "", "?" + JunkQuery })
                foreach (var body in bodies)
                {
                    if (query.Length > 0 && body is not null) continue; // junk queries once per path, without bodies
                    foreach (var (role, client) in callers)
                    {
                        calls++;
                        using var request = new HttpRequestMessage(new HttpMethod(method), path + query);
                        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                        request.Headers.TryAddWithoutValidation("Idempotency-Key", calls % 7 == 0 ? new string('k', 500) : $"fz-{calls}");
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                        using var response = await client.SendAsync(request, timeout.Token);
                        if ((int)response.StatusCode >= 500)
                        {
                            var text = await response.Content.ReadAsStringAsync();
                            failures.Add($"{(int)response.StatusCode} {method} {path}{query} as {role} body={Short(body)}: {Short(text)}");
                        }
                    }
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {calls} calls answered 5xx:\n" + string.Join("\n", failures.Take(60)));
        Assert.True(calls > 5000, $"only {calls} calls");
    }

    [Fact]
    public async Task The_dashboards_silo_routes_take_only_an_active_silos_address()
    {
        var admin = await api.ClientAs("fz-dash-admin", "admin");
        var silo = (await api.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Keys.First();
        foreach (var route in new[] { "SiloStats", "SiloCounters", "SiloProperties", "SiloMetadata", "HistoricalStats" })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync($"/dashboard/{route}/not-a-silo")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/dashboard/{route}/127.0.0.1:1@1")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/dashboard/{route}/{silo.ToParsableString()}")).StatusCode);
        }
    }

    private static string Name(string parameter) => parameter.Trim('{', '}').TrimStart('*').Split(':', '?', '=')[0];

    private static string Short(string? text) => text is null ? "none" : text.Length > 160 ? text[..160] + "..." : text;
}
