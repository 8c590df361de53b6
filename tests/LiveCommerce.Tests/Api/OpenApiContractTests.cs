using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Api;

/// <summary>
/// The OpenAPI document is a contract clients are generated from: every operation has an id and says who may call it,
/// secured operations name the scheme and their 401/403 problems, retry-safe operations declare their key header, and
/// the dashboard's internal routes stay out. (Spectral's <c>spectral:oas</c> ruleset checks the same document; see
/// docs/ARCHITECTURE.md.)
/// </summary>
public sealed class OpenApiContractTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    // The only operations callable without a token: the dev token endpoint (embedded profile only), the room's public
    // event stream, the payment provider's and the carrier's callbacks (authenticated by their signatures instead), and
    // the OAuth token endpoint (authenticated by the app's client credentials).
    private static readonly HashSet<string> Anonymous =
        ["POST /v1/dev/tokens", "GET /v1/rooms/{roomId}/events", "POST /v1/payments/callbacks/sandbox", "POST /v1/logistics/callbacks/sandbox",
         "POST /v1/oauth/token"];

    private async Task<JsonElement> Document() => await api.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json");

    private static IEnumerable<(string Key, JsonElement Operation)> Operations(JsonElement document) =>
        from path in document.GetProperty("paths").EnumerateObject()
        from method in path.Value.EnumerateObject()
        where Methods.Contains(method.Name)
        select ($"{method.Name.ToUpperInvariant()} {path.Name}", method.Value);

    [Fact]
    public async Task Every_operation_has_a_unique_id_and_says_who_may_call_it()
    {
        var operations = Operations(await Document()).ToList();
        Assert.True(operations.Count > 50, $"only {operations.Count} operations documented");
        var ids = operations.Select(o => o.Operation.TryGetProperty("operationId", out var id) ? id.GetString() : null).ToList();
        Assert.All(ids, id => Assert.False(string.IsNullOrEmpty(id)));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(operations, o => Assert.Contains("Who may call:", o.Operation.GetProperty("description").GetString()));
        // Spectral's operation-success-response: a client generator needs at least one success answer per operation.
        Assert.All(operations, o => Assert.Contains(o.Operation.GetProperty("responses").EnumerateObject(), r => r.Name[0] is '2' or '3'));
    }

    [Fact]
    public async Task Secured_operations_declare_the_bearer_scheme_and_their_auth_problems_and_only_the_public_ones_are_open()
    {
        var document = await Document();
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty(OpenApiContract.BearerScheme);
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());

        var open = new List<string>();
        foreach (var (key, operation) in Operations(document))
        {
            if (!operation.TryGetProperty("security", out var security) || security.GetArrayLength() == 0) { open.Add(key); continue; }
            Assert.True(security[0].TryGetProperty(OpenApiContract.BearerScheme, out _), key);
            var responses = operation.GetProperty("responses");
            Assert.True(responses.TryGetProperty("401", out _), $"{key} lacks 401");
            Assert.True(responses.TryGetProperty("403", out _), $"{key} lacks 403");
            Assert.Contains("Who may call: a", operation.GetProperty("description").GetString());
        }
        Assert.Equal(Anonymous.Order(), open.Order());
    }

    [Theory]
    [InlineData("/v1/orders", "post", true)]
    [InlineData("/v1/orders/{orderId}/refunds", "post", true)]
    [InlineData("/v1/accounts/{accountId}/payouts", "post", true)]
    [InlineData("/v1/rooms", "post", false)]
    public async Task Retry_safe_operations_declare_their_idempotency_key(string path, string method, bool required)
    {
        var operation = (await Document()).GetProperty("paths").GetProperty(path).GetProperty(method);
        var header = operation.GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("in").GetString() == "header" && p.GetProperty("name").GetString() == "Idempotency-Key");
        Assert.Equal(required, header.TryGetProperty("required", out var r) && r.GetBoolean());
    }

    [Fact]
    public async Task The_document_describes_the_api_and_leaves_the_dashboard_out()
    {
        var document = await Document();
        Assert.Contains("Idempotency-Key", document.GetProperty("info").GetProperty("description").GetString());
        Assert.False(string.IsNullOrEmpty(document.GetProperty("info").GetProperty("contact").GetProperty("name").GetString()));
        Assert.Equal("/", document.GetProperty("servers")[0].GetProperty("url").GetString());
        Assert.DoesNotContain(document.GetProperty("paths").EnumerateObject(), p => p.Name.StartsWith("/dashboard"));
    }

    [Theory]
    [InlineData("GET", "v1/orders/{orderId}/split", "getOrdersOrderIdSplit")]
    [InlineData("POST", "v1/accounts/{accountId}/settlement-runs", "postAccountsAccountIdSettlementRuns")]
    [InlineData("GET", "v1/rooms/{roomId:minlength(1)}", "getRoomsRoomId")]
    public void Operation_ids_come_from_the_method_and_the_route(string method, string route, string expected) =>
        Assert.Equal(expected, OpenApiContract.OperationId(method, route));
}
