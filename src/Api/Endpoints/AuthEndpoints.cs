using LiveCommerce.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;


namespace LiveCommerce.Api.Endpoints;

public static class AuthEndpoints
{
    public static void MapAuthEndpoints(this RouteGroupBuilder v1)
    {
        // Browsers cannot attach a bearer header to page loads (dashboard, analytics charts): exchange the bearer
        // token for an HttpOnly cookie carrying the same token. The cookie is honoured for GET requests only.
        v1.MapPost("/auth/browser-session", Results<NoContent, ProblemHttpResult> (HttpContext http) =>
        {
            var header = http.Request.Headers.Authorization.ToString();
            var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
            if (token.Length == 0) return TypedResults.Problem(statusCode: 400, title: "A bearer token is required.");
            http.Response.Cookies.Append(AuthSetup.BrowserCookie, token, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = http.Request.IsHttps,
                Path = "/",
            });
            return TypedResults.NoContent();
        }).RequireAuthorization("authenticated").WithTags("Auth").ProducesProblem(StatusCodes.Status400BadRequest)
          .WithSummary("Exchanges the bearer token for an HttpOnly cookie that browser pages send on GET requests (any signed-in caller).");
    }
}
