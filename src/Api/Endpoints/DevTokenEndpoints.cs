using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Contracts.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

/// <summary>Development tokens: mapped only in the embedded profile, never in the postgres profile.</summary>
public static class DevTokenEndpoints
{
    public sealed record TokenRequest(string? Subject, string? Role);
    public sealed record TokenResponse(string AccessToken, string TokenType, DateTimeOffset ExpiresAt);

    public static void MapDevTokenEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/dev/tokens", Ok<TokenResponse> (TokenRequest body, TokenIssuer issuer, SystemSubjects system) =>
        {
            var subject = Ids.Require(body.Subject, "subject");
            if (system.Contains(subject)) throw DomainException.Invalid("subject", $"'{subject}' is a system party; no user may act as it.");
            if (body.Role is null || !Roles.All.Contains(body.Role))
                throw DomainException.Invalid("role", $"role must be one of {string.Join(", ", Roles.All)}.");
            var (token, expires) = issuer.Issue(subject, body.Role);
            return TypedResults.Ok(new TokenResponse(token, "Bearer", expires));
        }).WithTags("Development").AllowAnonymous()
          .WithSummary("Issues a user token for any subject and role; development only (embedded profile), anyone may call it.");
    }
}
