using LiveCommerce.Grains.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LiveCommerce.Tests.Support;

public static class TestServices
{
    /// <summary>Replaces the business clock (not Orleans' own) with <paramref name="clock"/>.</summary>
    public static IServiceCollection UseDomainClock(this IServiceCollection services, TimeProvider clock)
    {
        services.RemoveAllKeyed<TimeProvider>(DomainClock.Key);
        services.AddKeyedSingleton(DomainClock.Key, clock);
        return services;
    }
}
