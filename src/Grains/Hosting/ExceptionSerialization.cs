using Orleans.Serialization;

namespace LiveCommerce.Grains.Hosting;

public static class ExceptionSerialization
{
    /// <summary>
    /// Lets database exceptions cross the wire. Orleans serializes exceptions only from namespaces it trusts
    /// (System, Microsoft, Azure); a PostgreSQL error thrown in a grain otherwise reaches the caller as a codec
    /// failure, which hides whether it was transient (the front door answers a transient one with 503).
    /// Silos and clients both need it.
    /// </summary>
    public static IServiceCollection AllowDatabaseExceptions(this IServiceCollection services) =>
        services.Configure<ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Npgsql"));
}
