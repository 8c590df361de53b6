using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.Extensions.DependencyInjection;

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

    private static JsonElement Operation(JsonElement document, string path, string method) => document.GetProperty("paths").GetProperty(path).GetProperty(method);

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
    [InlineData("/v1/orders", "post", "200", "Idempotent-Replayed")]
    [InlineData("/v1/orders", "post", "201", "Location")]
    [InlineData("/v1/orders", "post", "429", "Retry-After")]
    [InlineData("/v1/accounts/{accountId}/payouts", "post", "200", "Idempotent-Replayed")]
    [InlineData("/v1/products/{productId}", "get", "200", "ETag")]
    [InlineData("/v1/products/{productId}", "put", "200", "ETag")]
    [InlineData("/v1/merchants/{merchantId}/orders/export.csv", "get", "200", "X-Export-Truncated")]
    [InlineData("/v1/merchants/{merchantId}/orders/export.csv", "get", "200", "X-Export-Next-Cursor")]
    public async Task Response_headers_the_server_sets_are_declared(string path, string method, string status, string header)
    {
        var response = Operation(await Document(), path, method).GetProperty("responses").GetProperty(status);
        Assert.True(response.TryGetProperty("headers", out var headers) && headers.TryGetProperty(header, out _), $"{method} {path} {status} lacks {header}");
    }

    [Theory]
    [InlineData("/v1/orders", "post", true)]
    [InlineData("/v1/orders/{orderId}/refunds", "post", true)]
    [InlineData("/v1/accounts/{accountId}/payouts", "post", true)]
    [InlineData("/v1/rooms", "post", false)]
    [InlineData("/v1/rooms/{roomId}/comments", "post", false)]
    public async Task Retry_safe_operations_declare_their_idempotency_key(string path, string method, bool required)
    {
        var operation = Operation(await Document(), path, method);
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

    [Fact]
    public async Task Every_operation_has_a_summary()
    {
        var missing = Operations(await Document())
            .Where(o => !o.Operation.TryGetProperty("summary", out var s) || string.IsNullOrWhiteSpace(s.GetString()))
            .Select(o => o.Key).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} operations without a summary:\n{string.Join("\n", missing)}");
    }

    // Streams and files carry no JSON schema; naming their media type is what a client needs.
    private static readonly HashSet<string> SchemalessMediaTypes = ["text/event-stream", "text/csv"];

    [Fact]
    public async Task Every_success_response_with_a_body_describes_it()
    {
        var document = await Document();
        var offending = new List<string>();
        foreach (var (key, operation) in Operations(document))
            foreach (var response in operation.GetProperty("responses").EnumerateObject())
            {
                // 204 and redirects have no body by definition; 202 here means "taken, nothing to return" unless it declares content.
                if (response.Name[0] != '2' || response.Name == "204") continue;
                if (!response.Value.TryGetProperty("content", out var content) || !content.EnumerateObject().Any())
                {
                    if (response.Name != "202") offending.Add($"{key} {response.Name}: no content");
                    continue;
                }
                foreach (var media in content.EnumerateObject())
                {
                    if (SchemalessMediaTypes.Contains(media.Name)) continue;
                    if (!media.Value.TryGetProperty("schema", out var schema) || IsEmpty(document, schema))
                        offending.Add($"{key} {response.Name} {media.Name}: empty schema");
                }
            }
        Assert.True(offending.Count == 0, $"{offending.Count} success responses without a body schema:\n{string.Join("\n", offending)}");
    }

    [Theory]
    [InlineData("/v1/orders", "post", "201", "orderId,status,amount,buyerId")]
    [InlineData("/v1/orders", "post", "200", "orderId,status")]
    [InlineData("/v1/rooms/{roomId}", "get", "200", "roomId,streamerId,title,status,shelf,viewersNow")]
    [InlineData("/v1/orders/{orderId}/split", "get", "200", "orderId,paidAmount,refundedAmount,onHold,split")]
    [InlineData("/v1/accounts/{accountId}", "get", "200", "accountId,pending,available,paidOut,cycleDays")]
    [InlineData("/v1/admin/cluster", "get", "200", "silos")]
    [InlineData("/v1/payments/callbacks/sandbox", "post", "200", "acknowledged,outcome")]
    [InlineData("/v1/oauth/token", "post", "200", "access_token,token_type,expires_in")]
    [InlineData("/v1/accounts/{accountId}/payouts", "post", "200", "payoutId,accountId,amount,receipt,paidAt,availableAfter,paidOutAfter")]
    public async Task A_success_schema_names_the_real_properties(string path, string method, string status, string properties)
    {
        var document = await Document();
        var response = Operation(document, path, method).GetProperty("responses").GetProperty(status);
        var schema = Resolve(document, response.GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        var named = PropertyNames(document, schema).ToHashSet();
        Assert.All(properties.Split(','), p => Assert.Contains(p, named));
    }

    [Theory]
    [InlineData("/v1/orders", "post", "409")]
    [InlineData("/v1/orders", "post", "422")]
    [InlineData("/v1/orders", "post", "429")]
    [InlineData("/v1/orders/{orderId}", "get", "404")]
    [InlineData("/v1/orders", "post", "404")]
    public async Task Domain_problems_an_operation_answers_are_declared(string path, string method, string status)
    {
        var responses = Operation(await Document(), path, method).GetProperty("responses");
        Assert.True(responses.TryGetProperty(status, out var response), $"{method} {path} does not declare {status}");
        Assert.True(response.GetProperty("content").TryGetProperty("application/problem+json", out _));
    }

    // The handlers refuse these without the parameter (their own 400 naming it); binding keeps them optional, the document does not.
    [Theory]
    [InlineData("/v1/accounts/{accountId}/batches")]
    [InlineData("/v1/accounts/{accountId}/statement.csv")]
    [InlineData("/v1/admin/merchants/{merchantId}/income-report")]
    [InlineData("/v1/admin/merchants/{merchantId}/payment-records.csv")]
    public async Task Query_parameters_the_server_requires_are_required_in_the_document(string path)
    {
        var parameters = (await Document()).GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Where(p => p.GetProperty("in").GetString() == "query").ToDictionary(p => p.GetProperty("name").GetString()!, p => p);
        Assert.All(new[] { "from", "to" }, name => Assert.True(parameters[name].TryGetProperty("required", out var r) && r.GetBoolean(), $"{name} not required"));
        if (parameters.TryGetValue("cursor", out var cursor)) Assert.False(cursor.TryGetProperty("required", out var c) && c.GetBoolean());
    }

    [Fact]
    public async Task An_orders_device_id_is_optional_and_an_unknown_product_is_documented_as_the_409_it_is()
    {
        var document = await Document();
        var operation = document.GetProperty("paths").GetProperty("/v1/orders").GetProperty("post");
        var body = Resolve(document, operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Contains("deviceId", PropertyNames(document, body));
        var required = body.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()).ToList() : [];
        Assert.DoesNotContain("deviceId", required);
        var description = operation.GetProperty("description").GetString()!;
        Assert.Contains("shelf.not_listed (the product is not on this room's shelf", description);
        Assert.Contains("buyer.not_found", description);
    }

    // A positional record parameter without a default is documented required; those the server does without have one.
    [Theory]
    [InlineData("PlaceOrderRequest", "deviceId", false)]
    [InlineData("PlaceOrderRequest", "quantity", true)]
    [InlineData("ListProductRequest", "flashSale", false)]
    [InlineData("ListProductRequest", "perOrderLimit", false)]
    [InlineData("AddressRequest", "isDefault", false)]
    [InlineData("OfferRequest", "streamerIds", false)]
    [InlineData("OpenCaseRequest", "evidence", false)]
    [InlineData("OpenCaseRequest", "amount", true)]
    [InlineData("ArbitrationRequest", "amount", false)]
    [InlineData("ReviewRequest", "note", false)]
    [InlineData("RegisterAppRequest", "webhookUrl", false)]
    [InlineData("ReplayRequest", "eventId", false)]
    [InlineData("RefundHttpRequest", "reason", true)]
    public async Task A_body_field_is_required_in_the_schema_exactly_when_the_server_requires_it(string schema, string property, bool required)
    {
        var body = (await Document()).GetProperty("components").GetProperty("schemas").GetProperty(schema);
        Assert.True(body.GetProperty("properties").TryGetProperty(property, out _), $"{schema} has no {property}");
        var listed = body.TryGetProperty("required", out var r) && r.EnumerateArray().Any(e => e.GetString() == property);
        Assert.Equal(required, listed);
    }

    [Theory]
    [InlineData("/v1/orders", "post")]
    [InlineData("/v1/rooms/{roomId}/viewers", "post")]
    public async Task Joining_and_ordering_say_the_buyer_registers_first(string path, string method)
    {
        var document = await Document();
        Assert.Contains("PUT /v1/buyers/{buyerId}", Operation(document, path, method).GetProperty("description").GetString());
        Assert.Contains("PUT /v1/buyers/{buyerId}", document.GetProperty("info").GetProperty("description").GetString());
        Assert.True(document.GetProperty("paths").TryGetProperty("/v1/buyers/{buyerId}", out var buyers) && buyers.TryGetProperty("put", out _));
    }

    [Fact]
    public async Task Apps_have_an_oauth2_client_credentials_scheme_at_the_token_endpoint_with_every_scope()
    {
        var scheme = (await Document()).GetProperty("components").GetProperty("securitySchemes").GetProperty(OpenApiContract.AppScheme);
        Assert.Equal("oauth2", scheme.GetProperty("type").GetString());
        var flow = scheme.GetProperty("flows").GetProperty("clientCredentials");
        Assert.Equal(LiveCommerce.Api.Platform.OAuthSetup.TokenPath, flow.GetProperty("tokenUrl").GetString());
        Assert.Equal(LiveCommerce.Contracts.Platform.AppScopes.All.Order(), flow.GetProperty("scopes").EnumerateObject().Select(p => p.Name).Order());
    }

    [Theory]
    [InlineData("/v1/accounts/{accountId}/batches", "get", "settlement.read")]
    [InlineData("/v1/accounts/{accountId}/cycle", "put", "settlement.config")]
    [InlineData("/v1/orders/{orderId}", "get", "orders.read")]
    [InlineData("/v1/accounts/{accountId}/payouts", "post", null)]
    [InlineData("/v1/orders", "post", null)]
    public async Task Operations_apps_may_call_list_the_oauth2_scheme_with_their_scope(string path, string method, string? scope)
    {
        var operation = Operation(await Document(), path, method);
        var requirements = operation.GetProperty("security").EnumerateArray().ToList();
        Assert.Contains(requirements, r => r.TryGetProperty(OpenApiContract.BearerScheme, out _));
        var app = requirements.Where(r => r.TryGetProperty(OpenApiContract.AppScheme, out _)).Select(r => r.GetProperty(OpenApiContract.AppScheme)).ToList();
        if (scope is null) { Assert.Empty(app); return; }
        Assert.Equal([scope], Assert.Single(app).EnumerateArray().Select(e => e.GetString()));
        Assert.Contains($"scope `{scope}`", operation.GetProperty("description").GetString());
    }

    [Fact]
    public async Task The_payment_callback_documents_its_body_signature_window_and_answers()
    {
        var document = await Document();
        var operation = document.GetProperty("paths").GetProperty("/v1/payments/callbacks/sandbox").GetProperty("post");
        var description = operation.GetProperty("description").GetString()!;
        Assert.Contains("X-Payment-Signature: t=<unix seconds>,v1=<64 hex digits>", description);
        Assert.Contains("HMAC-SHA256", description);
        Assert.Contains($"within {LiveCommerce.Api.Endpoints.PaymentEndpoints.SignatureTolerance.TotalMinutes:0} minutes", description);
        Assert.Contains("alreadyApplied", description);
        var body = operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Equal(["amount", "eventId", "occurredAt", "orderId", "paymentId", "type"], PropertyNames(document, body).Order());
        Assert.Contains("X-Payment-Signature", document.GetProperty("info").GetProperty("description").GetString());
    }

    // Schemas are named by the type's short name: two request or response types with one name would share one schema,
    // and one of the operations would document the other's body.
    [Fact]
    public void No_two_types_in_the_document_share_a_schema_name()
    {
        var descriptions = api.Services.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items.SelectMany(g => g.Items);
        var pending = new Queue<Type>(descriptions.SelectMany(d => d.ParameterDescriptions.Select(p => p.Type)
            .Concat(d.SupportedResponseTypes.Select(r => r.Type))).OfType<Type>());
        var seen = new HashSet<Type>();
        while (pending.TryDequeue(out var type))
        {
            if (!seen.Add(type)) continue;
            foreach (var argument in type.GetGenericArguments()) pending.Enqueue(argument);
            if (type.GetElementType() is { } element) pending.Enqueue(element);
            if (!Ours(type)) continue;
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)) pending.Enqueue(property.PropertyType);
        }
        Assert.Contains(seen, t => t.Name == "OrderView"); // the walk reached the bodies
        var clashes = seen.Where(Ours).GroupBy(t => t.Name).Where(g => g.Count() > 1)
            .Select(g => string.Join(" vs ", g.Select(t => t.FullName))).ToList();
        Assert.True(clashes.Count == 0, "schema names shared by different types:\n" + string.Join("\n", clashes));
    }

    private static bool Ours(Type type) => type.Assembly.GetName().Name?.StartsWith("LiveCommerce", StringComparison.Ordinal) == true;

    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        for (var hops = 0; hops < 10 && schema.TryGetProperty("$ref", out var reference); hops++)
        {
            var name = reference.GetString()!.Split('/')[^1];
            schema = document.GetProperty("components").GetProperty("schemas").GetProperty(name);
        }
        return schema;
    }

    private static IEnumerable<string> PropertyNames(JsonElement document, JsonElement schema)
    {
        schema = Resolve(document, schema);
        if (schema.TryGetProperty("properties", out var properties))
            foreach (var p in properties.EnumerateObject()) yield return p.Name;
        foreach (var composite in new[] { "allOf", "anyOf", "oneOf" })
            if (schema.TryGetProperty(composite, out var parts))
                foreach (var part in parts.EnumerateArray())
                    foreach (var name in PropertyNames(document, part)) yield return name;
    }

    private static bool IsEmpty(JsonElement document, JsonElement schema)
    {
        schema = Resolve(document, schema);
        return schema.ValueKind != JsonValueKind.Object
            || !new[] { "type", "properties", "items", "allOf", "anyOf", "oneOf", "$ref" }.Any(k => schema.TryGetProperty(k, out _));
    }

    [Theory]
    [InlineData("GET", "v1/orders/{orderId}/split", "getOrdersOrderIdSplit")]
    [InlineData("POST", "v1/accounts/{accountId}/settlement-runs", "postAccountsAccountIdSettlementRuns")]
    [InlineData("GET", "v1/rooms/{roomId:minlength(1)}", "getRoomsRoomId")]
    public void Operation_ids_come_from_the_method_and_the_route(string method, string route, string expected) =>
        Assert.Equal(expected, OpenApiContract.OperationId(method, route));
}
