namespace LiveCommerce.Api.Infrastructure;

/// <summary>
/// Validates what the Orleans dashboard's endpoints take from the URL before the library uses it: its silo routes
/// parse the address with <see cref="SiloAddress.FromParsableString"/> inside a grain constructor, so a malformed one
/// answered 500, and an address of no active silo would wait for a grain call timeout. Both are now a 4xx problem.
/// </summary>
public static class DashboardGuard
{
    /// <summary>Route values that name a silo (SiloStats/{*address}, HistoricalStats/{*path}, ...).</summary>
    private static readonly string[] SiloRouteValues = ["address", "path"];

    public static RouteGroupBuilder ValidateDashboardInput(this RouteGroupBuilder dashboard) => dashboard.AddEndpointFilter(async (context, next) =>
    {
        var http = context.HttpContext;
        // Only the silo routes have these values; fonts/{**path} and img/{**path} serve embedded assets.
        var isAsset = http.Request.Path.Value?.Contains("/fonts/", StringComparison.Ordinal) == true || http.Request.Path.Value?.Contains("/img/", StringComparison.Ordinal) == true;
        foreach (var key in SiloRouteValues)
        {
            if (isAsset || http.Request.RouteValues[key] is not string value) continue;
            SiloAddress silo;
            try { silo = SiloAddress.FromParsableString(value); }
            catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException)
            {
                return Results.Problem(statusCode: 400, title: "The request is invalid.", detail: "Not a silo address.");
            }
            var hosts = await http.RequestServices.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
            if (!hosts.ContainsKey(silo)) return Results.Problem(statusCode: 404, title: "Not found.", detail: "No active silo has this address.");
        }
        return await next(context);
    });
}
