namespace LiveCommerce.Api.Infrastructure;

public static class OpenApiProblems
{
    /// <summary>Declares the problems every resource route can answer (401, 403, 404) plus the route's own.</summary>
    public static RouteHandlerBuilder Declares(this RouteHandlerBuilder route, params int[] more)
    {
        foreach (var status in new[] { StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound }.Concat(more))
            route.ProducesProblem(status);
        return route;
    }

    /// <summary>
    /// Declares a 200 CSV file. Typed as a string because the document drops the media type of a response declared
    /// without a type, and a client must know it gets <c>text/csv</c>.
    /// </summary>
    public static RouteHandlerBuilder ProducesCsv(this RouteHandlerBuilder route) =>
        route.Produces<string>(StatusCodes.Status200OK, CsvFiles.ContentType);
}
