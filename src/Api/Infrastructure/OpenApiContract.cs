using System.Text;
using LiveCommerce.Api.Platform;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LiveCommerce.Api.Infrastructure;

/// <summary>Marks an endpoint that reads the <c>Idempotency-Key</c> header, so the document declares it.</summary>
public sealed record IdempotencyKeyMetadata(bool Required);

/// <summary>
/// Query parameters the endpoint refuses without (its own 400 problem naming the parameter): bound as optional, so the
/// handler, not the binder, answers; declared required in the document.
/// </summary>
public sealed record RequiredQueryMetadata(IReadOnlyList<string> Names);

/// <summary>The JSON body an endpoint reads itself (raw, e.g. to verify a signature over its bytes), for the document.</summary>
public sealed record RawJsonBodyMetadata(Type Type, string Description);

/// <summary>A header the endpoint sets on a response of <paramref name="Status"/> (declared in the OpenAPI document).</summary>
public sealed record ResponseHeaderMetadata(int Status, string Name, string Description);

/// <summary>
/// Makes the OpenAPI document a contract a client can be generated from: what the API is, how callers authenticate,
/// and for every operation an id, who may call it (from the authorization policy the endpoint really carries), the
/// headers it reads and the problem answers the front door gives to every endpoint of its kind (401/403 from
/// authorization, 400 from input validation, 413 from the body limit). What an endpoint answers beyond that it
/// declares itself.
/// </summary>
public static class OpenApiContract
{
    public const string BearerScheme = "bearer";

    /// <summary>The open platform's apps: OAuth 2 client credentials at <see cref="OAuthSetup.TokenPath"/>.</summary>
    public const string AppScheme = "oauth2";

    /// <summary>What each app scope lets an app do for a merchant that granted it.</summary>
    public static readonly IReadOnlyDictionary<string, string> ScopeDescriptions = new Dictionary<string, string>
    {
        [AppScopes.OrdersRead] = "Read the merchant's orders, their splits and its order list.",
        [AppScopes.OrdersFulfil] = "Ship the merchant's orders.",
        [AppScopes.AfterSaleWrite] = "Answer after-sale cases on the merchant's orders.",
        [AppScopes.SettlementRead] = "Read the merchant's settlement account: balance, batches, statements.",
        [AppScopes.SettlementConfig] = "Change the merchant's settlement cycle within the self-service range.",
        [AppScopes.SplitsWrite] = "Publish and withdraw the merchant's distribution offers.",
        [AppScopes.Webhooks] = "Manage the app's webhook subscription for the merchant.",
    };

    public static IServiceCollection AddLiveCommerceOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) => { DescribeDocument(document); return Task.CompletedTask; });
            options.AddOperationTransformer(async (operation, context, cancellationToken) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<RawJsonBodyMetadata>().LastOrDefault() is { } body && operation.RequestBody is null)
                    operation.RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Description = body.Description,
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken) },
                        },
                    };
                DescribeOperation(operation, context.Description.HttpMethod ?? "GET", context.Description.RelativePath ?? "",
                    metadata, context.Document);
            });
        });

    /// <summary>The header an endpoint reads to make a retry safe; declared in the document as a header parameter.</summary>
    public static TBuilder DeclaresIdempotencyKey<TBuilder>(this TBuilder builder, bool required = true) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new IdempotencyKeyMetadata(required));

    /// <summary>Query parameters the handler requires (and refuses without, with its own problem); declared required.</summary>
    public static TBuilder RequiresQuery<TBuilder>(this TBuilder builder, params string[] names) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredQueryMetadata(names));

    /// <summary>Declares a header this endpoint sets on its <paramref name="status"/> response.</summary>
    public static TBuilder DeclaresResponseHeader<TBuilder>(this TBuilder builder, int status, string name, string description)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ResponseHeaderMetadata(status, name, description));

    /// <summary>The JSON body the handler reads itself; declared as the operation's request body.</summary>
    public static RouteHandlerBuilder DocumentsRawJsonBody<T>(this RouteHandlerBuilder builder, string description) =>
        builder.WithMetadata(new RawJsonBodyMetadata(typeof(T), description));

    internal static void DescribeDocument(OpenApiDocument document)
    {
        document.Info = new OpenApiInfo
        {
            Title = "LiveCommerce API",
            Version = "v1",
            Description = """
                Live rooms, flash sales, escrow orders, split settlement, risk control, traffic and analytics of the
                LiveCommerce backend.

                **Authentication.** Every operation except the anonymous ones (room pages, the viewer event stream, the
                payment provider's callback) needs `Authorization: Bearer <token>`: a JWT with `sub` (the caller's id),
                exactly one `role` (`buyer`, `streamer`, `merchant`, `admin`), `iss`, `aud` and an `exp` at most 12 hours
                after `iat`. An operation's description says which role may call it; where the resource belongs to
                someone (an order, an account, a room), the subject must be its owner as well.

                **Apps.** An open-platform app authenticates with OAuth 2 client credentials (`POST /v1/oauth/token`,
                `grant_type=client_credentials`, its scopes and `merchant_id`, the merchant that granted it) and sends the
                token the same way, `Authorization: Bearer <token>`; it may call only the operations whose security lists
                the `oauth2` scheme, with the scope listed there, and only for that merchant's resources.

                **Registration.** A buyer registers (`PUT /v1/buyers/{buyerId}`, its own id) before joining a room
                (`POST /v1/rooms/{roomId}/viewers`) or ordering (`POST /v1/orders`): until then both answer 404
                `buyer.not_found`. A streamer and a merchant likewise have a profile before they open rooms or list products.

                **Payment callbacks** from the payment provider's adapter are signed, not authenticated by a token: see
                `POST /v1/payments/callbacks/sandbox` for the body, the `X-Payment-Signature` header and the time window.

                **Retries.** Operations that declare an `Idempotency-Key` header are safe to repeat with the same key:
                the same key answers the same result and never does the work twice.

                **Errors** are RFC 7807 problem details (`application/problem+json`) with a stable `code`; a refused
                request changes nothing.
                """,
            Contact = new OpenApiContact { Name = "LiveCommerce platform team" },
        };
        // The document is served by the front door it describes: relative to it, not to one host name.
        document.Servers = [new OpenApiServer { Url = "/", Description = "the front door serving this document" }];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A user token: sub = the caller's id, role = buyer | streamer | merchant | admin, exp ≤ 12 h.",
        };
        document.Components.SecuritySchemes[AppScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.OAuth2,
            Description = "An open-platform app acting for a merchant that granted it: client credentials, the scopes it needs and " +
                          $"{OAuthSetup.MerchantParameter}; the access token (RS256, typ at+jwt) is sent as a bearer token.",
            Flows = new OpenApiOAuthFlows
            {
                ClientCredentials = new OpenApiOAuthFlow
                {
                    // Relative to the server, like every path in this document.
                    TokenUrl = new Uri(OAuthSetup.TokenPath, UriKind.Relative),
                    Scopes = ScopeDescriptions.ToDictionary(),
                },
            },
        };
    }

    internal static void DescribeOperation(OpenApiOperation operation, string method, string relativePath,
        IList<object> metadata, OpenApiDocument? document)
    {
        operation.OperationId ??= OperationId(method, relativePath);

        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        var policies = metadata.OfType<IAuthorizeData>().SelectMany(a => new[] { a.Policy, a.Roles })
            .Where(p => !string.IsNullOrEmpty(p)).Select(p => p!).Distinct().ToList();
        var secured = !anonymous && metadata.OfType<IAuthorizeData>().Any();

        var appScope = secured ? metadata.OfType<AppScopeMetadata>().LastOrDefault()?.Scope : null;
        var who = secured ? WhoMayCall(policies, appScope) : "Anyone, without a token.";
        operation.Description = string.IsNullOrWhiteSpace(operation.Description)
            ? "Who may call: " + who
            : operation.Description.TrimEnd() + "\n\nWho may call: " + who;

        operation.Responses ??= new OpenApiResponses();
        if (secured)
        {
            operation.Security ??= new List<OpenApiSecurityRequirement>();
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] });
            // Either requirement suffices: a user token, or an app token with this scope.
            if (appScope is not null)
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(AppScheme, document)] = [appScope] });
            AddProblem(operation, "401", "No token, or a token that is not valid (signature, issuer, audience, lifetime).");
            AddProblem(operation, "403", "The token's role or subject may not do this to this resource.");
        }

        if (metadata.OfType<IdempotencyKeyMetadata>().LastOrDefault() is { } idempotency)
        {
            operation.Parameters ??= new List<IOpenApiParameter>();
            if (!operation.Parameters.Any(p => p.In == ParameterLocation.Header && p.Name == RequestHelpers.IdempotencyHeader))
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = RequestHelpers.IdempotencyHeader,
                    In = ParameterLocation.Header,
                    Required = idempotency.Required,
                    Description = "A key the caller chooses per intended action (an id: letters, digits, '-', '_', ':', '.'); " +
                                  "repeating the request with the same key answers the first result.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = Ids.MaxLength, Pattern = "^[A-Za-z0-9._:-]+$" },
                });
        }

        if (metadata.OfType<RequiredQueryMetadata>().LastOrDefault() is { } requiredQuery)
            foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
                if (parameter.In == ParameterLocation.Query && requiredQuery.Names.Contains(parameter.Name)) parameter.Required = true;

        foreach (var header in metadata.OfType<ResponseHeaderMetadata>())
            AddHeader(operation, header.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), header.Name, header.Description);
        // Headers every such response carries: where a created resource lives, when to come back after a refusal.
        AddHeader(operation, "201", "Location", "The created resource's URL.");
        AddHeader(operation, "429", "Retry-After", "Seconds until the quota has room again.");
        AddHeader(operation, "503", "Retry-After", "Seconds after which a repeat may succeed.");

        var hasInput = operation.RequestBody is not null || operation.Parameters?.Count > 0;
        if (hasInput) AddProblem(operation, "400", "A parameter, header or body field is missing or invalid; `errors` names the field.");
        if (operation.RequestBody is not null) AddProblem(operation, "413", "The body is larger than this endpoint accepts.");
    }

    /// <summary>A stable, unique id from the method and the route: <c>GET /v1/orders/{orderId}/split</c> → <c>getOrdersOrderIdSplit</c>.</summary>
    public static string OperationId(string method, string relativePath)
    {
        var id = new StringBuilder(method.ToLowerInvariant());
        foreach (var segment in relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == "v1") continue;
            var word = segment.Trim('{', '}');
            var colon = word.IndexOf(':');
            if (colon >= 0) word = word[..colon];
            foreach (var part in word.Split('-', '_', '.'))
                if (part.Length > 0) id.Append(char.ToUpperInvariant(part[0])).Append(part.AsSpan(1));
        }
        return id.ToString();
    }

    private static string WhoMayCall(IReadOnlyList<string> policies, string? appScope)
    {
        var apps = appScope is null ? "" : $" An app holding scope `{appScope}` for the merchant whose resource it is may call it too.";
        if (policies.Count == 0 || policies.Contains("authenticated"))
            return "any signed-in caller (bearer token of any role); what it may see depends on its relation to the resource." + apps;
        var roles = string.Join(" or ", policies.Select(p => $"`{p}`"));
        return $"a bearer token with role {roles}; where the resource belongs to someone, the token's subject must be its owner." + apps;
    }

    /// <summary>Adds a string header to the operation's response of <paramref name="status"/>, if it has one.</summary>
    private static void AddHeader(OpenApiOperation operation, string status, string name, string description)
    {
        if (operation.Responses?.TryGetValue(status, out var found) != true || found is not OpenApiResponse response) return;
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers.TryAdd(name, new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
    }

    private static void AddProblem(OpenApiOperation operation, string status, string description)
    {
        if (operation.Responses!.ContainsKey(status)) return;
        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } },
            },
        };
    }
}
