using System.Text;
using LiveCommerce.Contracts.Common;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LiveCommerce.Api.Infrastructure;

/// <summary>Marks an endpoint that reads the <c>Idempotency-Key</c> header, so the document declares it.</summary>
public sealed record IdempotencyKeyMetadata(bool Required);

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

    public static IServiceCollection AddLiveCommerceOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) => { DescribeDocument(document); return Task.CompletedTask; });
            options.AddOperationTransformer((operation, context, _) =>
            {
                DescribeOperation(operation, context.Description.HttpMethod ?? "GET", context.Description.RelativePath ?? "",
                    context.Description.ActionDescriptor.EndpointMetadata, context.Document);
                return Task.CompletedTask;
            });
        });

    /// <summary>The header an endpoint reads to make a retry safe; declared in the document as a header parameter.</summary>
    public static TBuilder DeclaresIdempotencyKey<TBuilder>(this TBuilder builder, bool required = true) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new IdempotencyKeyMetadata(required));

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

                **Registration.** A buyer registers (`PUT /v1/buyers/{buyerId}`) before joining a room or ordering; a
                streamer and a merchant likewise have a profile before they open rooms or list products.

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
    }

    internal static void DescribeOperation(OpenApiOperation operation, string method, string relativePath,
        IList<object> metadata, OpenApiDocument? document)
    {
        operation.OperationId ??= OperationId(method, relativePath);

        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        var policies = metadata.OfType<IAuthorizeData>().SelectMany(a => new[] { a.Policy, a.Roles })
            .Where(p => !string.IsNullOrEmpty(p)).Select(p => p!).Distinct().ToList();
        var secured = !anonymous && metadata.OfType<IAuthorizeData>().Any();

        var who = secured ? WhoMayCall(policies) : "Anyone, without a token.";
        operation.Description = string.IsNullOrWhiteSpace(operation.Description)
            ? "Who may call: " + who
            : operation.Description.TrimEnd() + "\n\nWho may call: " + who;

        operation.Responses ??= new OpenApiResponses();
        if (secured)
        {
            operation.Security ??= new List<OpenApiSecurityRequirement>();
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] });
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

    private static string WhoMayCall(IReadOnlyList<string> policies)
    {
        if (policies.Count == 0 || policies.Contains("authenticated"))
            return "any signed-in caller (bearer token of any role); what it may see depends on its relation to the resource.";
        var roles = string.Join(" or ", policies.Select(p => $"`{p}`"));
        return $"a bearer token with role {roles}; where the resource belongs to someone, the token's subject must be its owner.";
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
